// SPDX-License-Identifier: MIT
// The three weight tables of a separable pass, built once by the planner
// (engine/planner.cpp) in double and handed to the pipeline, which keeps
// its own copy in its working type W (static_cast of each weight: the same
// values building in W gives). For the general path's coefficient pass the
// tables are coefficient tables (engine/axis_table.hpp).
//
// Thread safety: immutable after build.
#pragma once

#include <memory>
#include <vector>

#include "engine/axis_table.hpp"
#include "engine/block_windows.hpp"
#include "engine/resampler.hpp"

namespace respace {

struct SeparableTables {
  AxisTable<double> x, y, z;  // x not interleaved: one entry per voxel, not per channel
  // The planner's measures of z's block windows, filled as it plans (a
  // cache of a pure function of z; planning is one thread).
  std::shared_ptr<BlockShapeCache> block_shapes = std::make_shared<BlockShapeCache>();
};

SeparableTables build_separable_tables(const ResampleSetup& s);

// The input planes each output plane's z taps read (block_windows' input).
template <class W>
std::vector<PlaneRange> z_ranges(const AxisTable<W>& Z) {
  std::vector<PlaneRange> z(static_cast<std::size_t>(Z.m));
  for (std::int64_t k = 0; k < Z.m; ++k)
    if (Z.ntap[static_cast<std::size_t>(k)] > 0) z[static_cast<std::size_t>(k)] = {true, Z.lo(k), Z.hi(k)};
  return z;
}

// The table in W: each weight and coverage cast from double.
template <class W>
AxisTable<W> table_in(const AxisTable<double>& t) {
  if constexpr (std::is_same_v<W, double>) {
    return t;
  } else {
    AxisTable<W> r;
    r.n = t.n;
    r.m = t.m;
    r.max_taps = t.max_taps;
    r.identity = t.identity;
    r.pick_runs = t.pick_runs;  // a weight of 1.0 is 1 in any W
    r.full_coverage = t.full_coverage;
    r.ntap = t.ntap;
    r.index = t.index;
    r.inside = t.inside;
    r.weight.assign(t.weight.begin(), t.weight.end());
    r.coverage.assign(t.coverage.begin(), t.coverage.end());
    return r;
  }
}

}  // namespace respace
