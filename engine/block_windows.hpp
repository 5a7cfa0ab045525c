// SPDX-License-Identifier: MIT
// Which input planes each block of output planes reads, and when a plane
// can be dropped: the one computation the separable pipeline (its ring of
// intermediate planes), the memory planner (how many planes to budget) and
// the general path's ring of coefficient planes all share.
//
// Input: for each output plane k, the input planes [lo(k), hi(k)] its taps
// read (none when the plane is all fill), and the block depth. Blocks are
// made in order; block b reads need(b), the union of its planes' ranges.
// Planes arrive in order, so block b can run once plane ready(b) - 1 has
// arrived, ready(b) = max over b' <= b of hi(b') + 1, and from then on no
// block reads below keep(b) = min over b' >= b of lo(b'). At most
// held_max = max over b of ready(b) - keep(b) planes are held at once.
//
// Thread safety: pure function.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace respace {

// The input planes (inclusive) that output plane k reads, or empty (fill).
struct PlaneRange {
  bool any = false;
  std::int64_t lo = 0, hi = 0;
};

// What block_windows() of one depth needs at most: new input planes per
// block, and planes spanned by one block (engine/memory_plan.hpp).
struct BlockShape {
  std::int64_t new_max = 0;
  std::int64_t span_max = 0;
};

// Measured shapes by block depth (planning is one thread).
struct BlockShapeCache {
  std::map<int, BlockShape> by_block;
};

struct BlockWindows {
  std::vector<PlaneRange> need;     // per block: the planes it reads
  std::vector<std::int64_t> ready;  // per block: planes that must have arrived
  std::vector<std::int64_t> keep;   // per block: the lowest plane it or a later block reads (INT64_MAX: none)
  std::int64_t new_max = 0;   // most planes one block reads that earlier blocks did not
  std::int64_t span_max = 0;  // most planes one block reads
  std::int64_t held_max = 0;  // most planes held at once
};

BlockWindows block_windows(const std::vector<PlaneRange>& planes, int block);

// block_windows(planes, block)'s new_max and span_max alone, in one pass
// that allocates nothing: the planner asks it for up to 64 depths of up to
// millions of planes.
BlockShape block_shape(const std::vector<PlaneRange>& planes, int block);

}  // namespace respace
