// SPDX-License-Identifier: MIT
// The one rule for the memory limit (SPEC §6, issue 12): nothing is
// allocated that the plan did not count, and the plan is checked against the
// limit before anything is allocated.
//
//   1. The weight tables and per-plane lists planning itself builds grow
//      with the grid (planning_bytes(): an upper bound from the dims and the
//      kernel, no allocation). They are checked first, against the limit or
//      the default limit (which grows for the planes of wide volumes, not for
//      tables: only an axis of millions of output voxels needs more).
//   2. The planner (make(limit, smallest)) plans within the limit.
//   3. The default limit (--memory-limit not given) may grow to the smallest
//      working set of a wide volume, never past default_limit_ceiling(): 3/4
//      of the machine's memory (physical memory, or the cgroup's limit when
//      lower). Past it the request is refused with the size it would need.
//   4. A limit the user gave that is too small is refused with the least
//      limit that plans: found by asking the planner itself (the smallest
//      shape's total is where the search starts; the answer is the least
//      whole MiB that plans), so the advice is never one that fails again.
//
// Thread safety: pure functions (machine_memory() reads /proc and /sys).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "engine/memory_plan.hpp"
#include "engine/resampler.hpp"
#include "io/error.hpp"

namespace respace {

// Used when --memory-limit is not given; raised to the smallest working set
// (with a note in the report) when a volume's planes need more (rule 3).
constexpr std::uint64_t kDefaultMemoryLimit = std::uint64_t{256} << 20;

// Physical memory, or the cgroup (v2 memory.max, v1 limit_in_bytes) limit of
// this process when lower.
std::uint64_t machine_memory();
// How far the default limit may grow: 3/4 of machine_memory().
std::uint64_t default_limit_ceiling();

// An upper bound on what planning `s` allocates (weight tables of the input
// and output axes, the Gaussian filters' weights, one entry per output
// plane), saturating at UINT64_MAX.
std::uint64_t planning_bytes(const ResampleSetup& s);

// a*b and a+b, saturating at UINT64_MAX (sizes that cannot be, never wrap).
std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b);
std::uint64_t sat_add(std::uint64_t a, std::uint64_t b);

struct LimitPolicy {
  std::uint64_t given = 0;           // --memory-limit, or 0 for the default
  std::uint64_t default_limit = 0;   // the default's starting value
  std::uint64_t ceiling = 0;         // how far the default may grow
  std::uint64_t planning_bytes = 0;  // planning_bytes() of the request
  std::uint64_t plane_bytes = 0;     // the larger of one input and one output plane
};

// Every path holds at least one input plane or one output plane at a time
// (the general path's two stages, one each). When that alone is past the
// limit given or the default's ceiling, throws Error(memory_limit) at once: before the weight tables are built,
// which for a spacing in um given as mm can be millions of rows.
void check_planes(const LimitPolicy& p);

// Plans with make(limit, smallest) under `policy` (rules 1-4 above). A plan
// type has .limit and .total(). Sets `raised` when the default grew.
// Throws Error(memory_limit) with the limit, what is needed and the advice.
template <class Plan>
Plan plan_within_limit(const LimitPolicy& policy, const std::function<Plan(std::uint64_t, bool)>& make,
                       bool& raised);

// The messages of rules 1, 3 and 4 (exposed for the template below).
[[noreturn]] void refuse_tables(const LimitPolicy& p);
[[noreturn]] void refuse_past_ceiling(const LimitPolicy& p, std::uint64_t need);
[[noreturn]] void refuse_given(const LimitPolicy& p, std::uint64_t least);
// The least whole MiB from `from` up at which plans(limit) is true (from
// itself if it plans); UINT64_MAX when none up to 2^62 does.
std::uint64_t least_limit(std::uint64_t from, const std::function<bool(std::uint64_t)>& plans);

template <class Plan>
Plan plan_within_limit(const LimitPolicy& p, const std::function<Plan(std::uint64_t, bool)>& make, bool& raised) {
  raised = false;
  if (p.planning_bytes > (p.given ? p.given : p.default_limit)) refuse_tables(p);
  const std::uint64_t first = p.given ? p.given : std::min(p.default_limit, p.ceiling);
  try {
    return make(first, false);
  } catch (const Error& e) {
    if (e.code() != ExitCode::memory_limit) throw;
  }
  Plan smallest = make(UINT64_MAX, true);
  const std::uint64_t need = sat_add(smallest.total(), kProcessReserve);
  if (!p.given) {
    if (need > p.ceiling) refuse_past_ceiling(p, need);
    smallest.limit = need;
    raised = true;
    return smallest;
  }
  refuse_given(p, least_limit(std::max(need, p.given), [&](std::uint64_t limit) {
    try {
      make(limit, false);
      return true;
    } catch (const Error& e) {
      if (e.code() != ExitCode::memory_limit) throw;
      return false;
    }
  }));
}

}  // namespace respace
