// SPDX-License-Identifier: MIT
// Label maps on the general path (--labels with a rotation, an oblique
// --like, a permutation): output voxel j takes, at p = V j, the label with
// the largest summed weight over the kernel's footprint there (linear: the
// 8 voxels around p, weighted as trilinear interpolation: GenericLabel
// [Linear]; nearest: the one voxel), ties to the lowest label
// (engine/label_vote.hpp has the rule). Taps beyond the edge read what the
// boundary rule says (constant: the --fill label); outside the field of
// view the output is --fill. The kernel is evaluated at zoom 1: no
// antialiasing filter on this path (auto leaves it off; gauss and box are
// refused by the planner).
//
// Streaming: the input's planes arrive in order into a ring of raw label
// planes; output plane k reads the planes its footprint reaches, found from
// the plane's four corners as for the coefficient ring
// (engine/coefficient_ring.hpp), through the boundary rule; blocks of output
// planes are voted as soon as their planes are in (block_windows). A voxel
// map that needs more planes at once than the memory limit holds (a
// 90-degree turn of slices into columns) is refused with the limit that
// would do; there is no temporary-file fallback for labels.
//
// Thread safety: one volume at a time; rows run on the calling thread's
// oneTBB arena.
#pragma once

#include <memory>

#include "engine/general_plan.hpp"
#include "engine/label_vote.hpp"

namespace respace {

// Throws Error(memory_limit) when the ring does not fit.
VoteMemory plan_general_vote_memory(const GeneralSetup& s, int threads, std::uint64_t limit, bool gzip_output,
                                    std::uint64_t deflater_bytes, bool smallest = false);

std::unique_ptr<Resampler> make_general_vote(const GeneralSetup& s, const VoteMemory& plan);

}  // namespace respace
