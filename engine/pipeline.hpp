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
// The tables come from the planner (engine/planner.hpp), built once.
//
// Thread safety: a Resampler runs one volume at a time (run_volume is not
// reentrant); it uses the calling thread's oneTBB arena.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/memory_plan.hpp"
#include "engine/plane_sink.hpp"
#include "engine/resampler.hpp"
#include "engine/separable_tables.hpp"

namespace respace {

// The separable pipeline, which can also hand its planes to a PlaneSink
// (the general path's coefficient pass) instead of writing bytes.
class PlanePass : public Resampler {
public:
  virtual void run_planes(ByteSource& in, PlaneSink& out) = 0;
};

// `plan` from plan_memory() for these tables (engine/planner.cpp).
std::unique_ptr<PlanePass> make_pipeline(const ResampleSetup& setup, const MemoryPlan& plan,
                                         const SeparableTables& tables);

}  // namespace respace
