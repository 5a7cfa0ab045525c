// SPDX-License-Identifier: MIT
// The interface both resampling paths implement, and what they take and
// report: a ResampleSetup (grid, kernel, types) in, a Resampler that turns
// one 3-D volume of a ByteSource into one of a ByteSink, RunStats out.
// The separable path is engine/pipeline.hpp, the general (affine) path
// engine/general_resampler.hpp; the planner (engine/planner.hpp) picks one
// and make_resampler() builds it.
//
// Thread safety: a Resampler runs one volume at a time (run_volume is not
// reentrant); it uses the calling thread's oneTBB arena.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "engine/antialias.hpp"
#include "engine/geometry.hpp"
#include "engine/kernel.hpp"
#include "engine/kernels/linear.hpp"
#include "engine/label_counts.hpp"
#include "engine/sample_codec.hpp"
#include "engine/value_stats.hpp"
#include "io/byte_sink.hpp"
#include "io/byte_source.hpp"

namespace respace {

struct ResampleSetup {
  GridPlan grid;
  const Kernel* kernel = &linear_kernel();  // a static: engine/kernels/
  Boundary boundary = Boundary::nearest;    // kernel->default_boundary() unless --boundary
  // --antialias, per axis (engine/antialias.hpp), set by the planner: along
  // the output axes on the separable path, along the input axes in the
  // general path's coefficient pass.
  std::array<AxisFilter, 3> filter{};
  double fill = 0;
  int in_datatype = 16;  // DT_FLOAT32
  bool in_swap = false;
  int out_datatype = 16;
  int channels = 1;  // 3 or 4: RGB24/RGBA32, resampled per channel as uint8
  // Integer output: rounded to nearest, or truncated toward zero (ITK's
  // cast, --int-rounding); truncation computes in double (work_bytes), where
  // the snap to integers within 1e-11 of engine/sample_codec.hpp holds.
  IntRounding int_rounding = IntRounding::nearest;
  bool compare = false;  // collect ValueStats of input and output (--compare)
  // A label map (--labels): a vote of the kernel's weights, values copied
  // (engine/label_vote.hpp); out_datatype is in_datatype.
  bool labels = false;
  // The general path's coefficient pass: make the coefficient volume
  // (build_coefficient_table on each axis; out_datatype is W's type)
  // instead of resampling.
  bool coefficients = false;
};

// Bytes of the working type W the paths compute in: double when the input
// or the output needs it (engine/sample_codec.hpp), float otherwise.
inline int work_bytes(const ResampleSetup& s) {
  return needs_double(s.in_datatype) || needs_double(s.out_datatype) || s.int_rounding == IntRounding::toward_zero
             ? 8
             : 4;
}

// Test hooks, called once per token (never per voxel).
struct PipelineHooks {
  std::function<void(std::int64_t first_output_plane)> after_xy;
  std::function<void(std::int64_t first_output_plane)> before_z;
};

// How full the separable pipeline's fixed pools got (engine/pipeline.hpp);
// on the general path, its coefficient pass's.
struct PoolStats {
  int peak_live_tokens = 0;
  std::size_t peak_raw = 0, peak_mid = 0, peak_out = 0;
  std::size_t overflows = 0;  // acquisitions beyond the declared capacity
};

// The general path's temporary coefficient file, when it used one.
struct TempFileStats {
  std::string path;
  std::uint64_t bytes = 0;  // per 3-D volume
  bool removed = false;     // checked after the run: no file left
};

struct RunStats {
  std::uint64_t planes_read = 0;
  ValueStats input, output;  // stored values, all volumes so far (with compare)
  PoolStats pools;
  std::optional<TempFileStats> temp_file;
  std::optional<LabelStats> labels;  // --labels: each label's voxels in and out
};

class Resampler {
public:
  virtual ~Resampler() = default;
  // Reads nx*ny*nz stored voxels from `in` and writes mx*my*mz to `out`.
  virtual void run_volume(ByteSource& in, ByteSink& out, const PipelineHooks& hooks = {}) = 0;
  virtual RunStats stats() const = 0;
};

}  // namespace respace
