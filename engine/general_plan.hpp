// SPDX-License-Identifier: MIT
// The general path's memory plan (engine/general_resampler.hpp runs it):
// where the sampling stage reads the coefficients from, and the shapes of
// both stages, within the memory limit.
//
//   ring  the coefficient planes the output reads at any one time
//         (engine/coefficient_ring.hpp) and the coefficient pass (the
//         separable pipeline, engine/memory_plan.hpp) run at once: the
//         pass's pipeline + ring + output block + chunks + deflaters +
//         scratch must fit;
//   file  one stage after the other: the pass (with the output's chunks and
//         deflaters, which live through both) or the sampling stage (output
//         block, chunks, deflaters, scratch, the pages of the mapped file
//         the tiles touch), whichever is larger.
// The planner tries the most parallel shapes first (tiles 64 down to 8,
// blocks 16 planes down to 1) against the working-set target, then against
// the whole limit; the ring is preferred when it fits.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include <map>

#include "engine/memory_plan.hpp"
#include "engine/resampler.hpp"
#include "engine/separable_tables.hpp"
#include "engine/target.hpp"
#include "engine/coefficient_ring.hpp"

namespace respace {

struct GeneralSetup {
  ResampleSetup base;         // grid (output dims; crop axes), kernel, boundary, fill, types
  Mat4 voxel_map = identity4();
  std::string temp_dir = ".";  // where the coefficient file goes
  bool allow_ring = true;      // false: always the temporary file (tests)
  // The ring's planes for each block depth the planner tries (ring_for's
  // .planes), found once by size_rings(): the limit search plans dozens of
  // times, and each ring sizing is a walk over every output plane.
  std::map<int, std::int64_t> ring_planes;
};

struct GeneralMemory {
  bool ring = false;        // the sampling stage reads the ring, not the temporary file
  std::string source_why;   // why, for the report
  MemoryPlan coefficients;  // the coefficient pass (the separable pipeline)
  int threads = 1;
  int block = 1;            // output planes per block (the sampling stage)
  int tile = 64;            // tile edge, output voxels
  std::size_t chunk_capacity = 0;
  std::uint64_t block_bytes = 0, chunk_bytes = 0, codec_bytes = 0, mapped_bytes = 0, scratch_bytes = 0;
  std::uint64_t coefficient_file_bytes = 0;  // per 3-D volume
  std::int64_t ring_planes = 0;              // coefficient planes the ring holds (ring, or what it would need)
  std::uint64_t ring_bytes = 0;
  std::uint64_t limit = 0;
  std::uint64_t sampling_total() const {
    return block_bytes + chunk_bytes + codec_bytes + mapped_bytes + scratch_bytes + kIoBytes;
  }
  std::uint64_t sink_bytes = 0;  // the output's chunks and deflaters, alive in both stages
  // The ring path runs both stages at once: the pipeline, the ring and the
  // output side; the file path one stage after the other.
  std::uint64_t total() const {
    if (ring) return coefficients.total() + ring_bytes + block_bytes + chunk_bytes + codec_bytes + scratch_bytes;
    return std::max(coefficients.total() + sink_bytes, sampling_total());
  }
};

// The setup of the coefficient pass (coefficients of the crop, written as W).
ResampleSetup coefficient_setup(const GeneralSetup& s);

// The ring the planner sizes and the resampler runs, for blocks of `block`.
RingPlan ring_for(const GeneralSetup& s, int block);

// Fills s.ring_planes for the block depths the planner tries.
void size_rings(GeneralSetup& s);

// Throws Error(memory_limit) naming the smallest limit that works. `coef`:
// the coefficient pass's tables (build_separable_tables of
// coefficient_setup(s)). With `smallest` (the default limit raised to fit:
// engine/memory_limit.hpp), the least memory: one plane per block, one
// pipeline token, and the ring or the temporary file, whichever needs less.
GeneralMemory plan_general_memory(const GeneralSetup& s, const SeparableTables& coef, int threads,
                                  std::uint64_t limit, bool gzip_output, std::uint64_t deflater_bytes,
                                  bool smallest = false);

}  // namespace respace
