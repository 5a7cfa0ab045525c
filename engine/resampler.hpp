// SPDX-License-Identifier: MIT
// The interface both resampling paths implement, and what they take and
// report: a ResampleSetup (grid, kernel, types) in, a Resampler that turns
// one 3-D volume of a ByteSource into one of a ByteSink, PipelineStats out.
// The separable path is engine/pipeline.hpp, the general (affine) path
// engine/general_resampler.hpp; cli/job.cpp picks one from the voxel map.
//
// Thread safety: a Resampler runs one volume at a time (run_volume is not
// reentrant); it uses the calling thread's oneTBB arena.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "engine/axis_table.hpp"
#include "engine/geometry.hpp"
#include "engine/value_stats.hpp"
#include "io/byte_sink.hpp"
#include "io/byte_source.hpp"

namespace respace {

struct ResampleSetup {
  GridPlan grid;
  Order order = Order::linear;
  Boundary boundary = Boundary::nearest;  // default_boundary(order) unless --boundary
  double fill = 0;
  int in_datatype = 16;  // DT_FLOAT32
  bool in_swap = false;
  int out_datatype = 16;
  int channels = 1;  // 3 or 4: RGB24/RGBA32, resampled per channel as uint8
  bool compare = false;  // collect ValueStats of input and output (--compare)
  // The general path's first phase: write the coefficient volume
  // (build_coefficient_table on each axis; out_datatype is W's type)
  // instead of resampling.
  bool coefficients = false;
};

// Test hooks, called once per token (never per voxel).
struct PipelineHooks {
  std::function<void(std::int64_t first_output_plane)> after_xy;
  std::function<void(std::int64_t first_output_plane)> before_z;
};

struct PipelineStats {
  int peak_live_tokens = 0;
  std::size_t peak_raw = 0, peak_mid = 0, peak_out = 0;
  std::size_t overflows = 0;  // pool acquisitions beyond the declared capacity
  std::uint64_t planes_read = 0;
  ValueStats input, output;  // stored values, all volumes so far (with compare)
  // General path: the coefficient file (engine/general_resampler.hpp).
  std::string temp_file;            // where it was
  std::uint64_t temp_file_bytes = 0;
  bool temp_file_removed = false;   // checked after the run: no file left
};

class Resampler {
public:
  virtual ~Resampler() = default;
  // Reads nx*ny*nz stored voxels from `in` and writes mx*my*mz to `out`.
  virtual void run_volume(ByteSource& in, ByteSink& out, const PipelineHooks& hooks = {}) = 0;
  virtual PipelineStats stats() const = 0;
};

}  // namespace respace
