// SPDX-License-Identifier: MIT
// Label maps (--labels, issue 15): each output voxel takes the label with
// the largest summed weight under the kernel's footprint; ties go to the
// lowest label (as ITK's GenericLabelInterpolator and tensorstore's mode),
// a tie being sums within 1e-12 (of the voxel's total weight, 1) of each
// other, so that sums equal in exact arithmetic tie whatever the order of
// the additions.
//
// For a kernel of non-negative weights w, "interpolate every label's
// indicator and take the largest" is exactly this weighted vote:
// argmax over l of the sum of w_n over the footprint voxels n labelled l.
// So the result is GenericLabel's (linear: GenericLabel[Linear]; with
// --antialias gauss a Gaussian-weighted vote like ANTs' MultiLabel; with
// box the exact footprint mode) at the cost of the footprint alone,
// whatever the number of labels. The weights are the separable tables of
// the kernel and its antialiasing filter (engine/axis_table.hpp), boundary
// rule and field of view included: a tap beyond the edge reads what the
// boundary rule says (--boundary constant: the --fill label), a voxel
// outside the field of view is --fill.
//
// Values are never computed on: the labels are the input's own values in
// its own type (uint8 to uint64, signed, and float-typed label maps), copied
// to the output, so an ID above 2^24 or 2^53 comes out unchanged.
//
// Streaming: the input planes arrive in order into a ring of raw planes
// (block_windows(): the planes the blocks of output read at any one time);
// a block of output planes is voted as soon as its planes are in, its rows
// in parallel, then written. Per output voxel the taps are visited z, y, x
// in table order, runs of equal labels along x merged first (label maps are
// piecewise constant), each label's weights summed in tap order, so the
// bytes do not depend on threads or blocks.
//
// Every input plane and every output block is counted label by label as it
// passes (engine/label_counts.hpp): the report's labels in, out and lost.
//
// Memory (VoteMemory): ring planes x input plane bytes, one output block,
// per-thread vote scratch (at most taps_x * taps_y * taps_z pairs), the
// output's gzip chunks and deflaters, the tables, the io buffers.
//
// Thread safety: one volume at a time; the rows run on the calling
// thread's oneTBB arena.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/block_windows.hpp"
#include "engine/label_counts.hpp"
#include "engine/memory_plan.hpp"
#include "engine/resampler.hpp"
#include "engine/separable_tables.hpp"

namespace respace {

struct VoteMemory {
  std::uint64_t limit = 0;
  int threads = 1;
  int block = 1;              // output planes voted at once
  std::int64_t ring_planes = 0;
  std::uint64_t ring_bytes = 0, block_bytes = 0, scratch_bytes = 0, table_bytes = 0;
  std::uint64_t count_bytes = kLabelCountBytes;  // the labels' voxel counts (engine/label_counts.hpp)
  std::size_t chunk_capacity = 0;
  std::uint64_t codec_bytes = 0;  // the output's gzip chunks and deflaters
  std::uint64_t total() const {
    return ring_bytes + block_bytes + scratch_bytes + table_bytes + count_bytes + codec_bytes + kIoBytes;
  }
};

// What a vote holds, from its dims, whichever path: the plan of both votes
// (here and engine/general_vote.hpp) is made from this by vote_memory().
struct VoteSizes {
  std::vector<PlaneRange> planes;      // per output plane, the input planes it reads
  std::uint64_t in_plane_values = 0;   // labels per stored input plane
  std::uint64_t out_plane_values = 0;  // labels per output plane
  int label_bytes = 1;
  std::uint64_t footprint_pairs = 1;   // most (label, weight) pairs one voxel collects
  std::uint64_t table_bytes = 0;
  std::string where;                   // for the refusal: "" or " on the general path"
};

// The most parallel shape (threads, then blocks of 16 output planes down to
// 1) within the working-set target, or with one plane per block within the
// limit. Throws Error(memory_limit) when even that does not fit. With
// `smallest`, the least memory: one plane per block, one thread.
VoteMemory vote_memory(const VoteSizes& sizes, int threads, std::uint64_t limit, bool gzip_output,
                       std::uint64_t deflater_bytes, bool smallest);

// vote_memory() of a separable vote with these tables.
VoteMemory plan_vote_memory(const ResampleSetup& s, const SeparableTables& t, int threads, std::uint64_t limit,
                            bool gzip_output, std::uint64_t deflater_bytes, bool smallest = false);

std::unique_ptr<Resampler> make_vote_resampler(const ResampleSetup& s, const VoteMemory& plan,
                                               std::shared_ptr<const SeparableTables> tables);

}  // namespace respace
