// SPDX-License-Identifier: MIT
// The streaming resampler: one 3-D volume in, one out, in bounded memory.
//
// A oneTBB parallel_pipeline of seven filters; a token is one output block of
// `block` consecutive output planes (z), a Token from a fixed pool of
// `tokens` that owns them all (the filters pass plain pointers):
//
//   1 read   serial, in order: reads the input planes this block needs that
//            no earlier block read (raw bytes, from a fixed pool);
//   2 xy     parallel: decodes each new plane to W and resamples it in x and
//            y into an intermediate plane (from a fixed pool; refcounted);
//   3 link   serial, in order: appends the new intermediate planes to the
//            ring, takes references to every plane the block's z taps read,
//            and drops from the ring the planes no later block reads;
//   4 z      parallel: combines the referenced planes with the z weights,
//            writes fill outside the FOV, and encodes to the output type;
//   5 cut    serial, in order: a gzip sink copies the block's bytes into its
//            fixed-size chunks (io/byte_sink.hpp) and returns the full ones;
//   6 encode parallel: deflates those chunks (pigz-style);
//   7 write  serial, in order: appends the encoded chunks, or, for a plain
//            sink, the block's bytes.
//
// Each input plane is decoded and resampled in x and y exactly once. Every
// sample is computed from global indices and fixed tables, with the taps
// added in table order, so the output bytes do not depend on the number of
// threads, the block depth or the order in which workers finish (a stalled
// worker only delays; see the stall test). Memory bounds: engine/memory_plan.hpp.
//
// Thread safety: a Resampler runs one volume at a time (run_volume is not
// reentrant); it uses the calling thread's oneTBB arena.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/axis_table.hpp"
#include "engine/geometry.hpp"
#include "engine/memory_plan.hpp"
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

// What the memory planner needs to know about this job.
MemoryRequest memory_request(const ResampleSetup& setup, int threads, std::uint64_t limit);

std::unique_ptr<Resampler> make_resampler(const ResampleSetup& setup, const MemoryPlan& plan);

}  // namespace respace
