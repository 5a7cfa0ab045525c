// SPDX-License-Identifier: MIT
#include "engine/memory_limit.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "engine/axis_table.hpp"
#include "io/byte_size.hpp"

namespace respace {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

std::uint64_t read_limit_file(const char* path) {
  std::ifstream f(path);
  std::string word;
  if (!(f >> word) || word == "max") return UINT64_MAX;
  try {
    return std::stoull(word);
  } catch (...) {
    return UINT64_MAX;
  }
}

std::string mib(std::uint64_t bytes) { return std::to_string((bytes + kMiB - 1) / kMiB) + "M"; }

}  // namespace

std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

std::uint64_t machine_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  std::uint64_t m = pages > 0 && page > 0 ? sat_mul(static_cast<std::uint64_t>(pages), static_cast<std::uint64_t>(page))
                                          : std::uint64_t{4} << 30;
  m = std::min(m, read_limit_file("/sys/fs/cgroup/memory.max"));
  m = std::min(m, read_limit_file("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
  return m;
}

std::uint64_t default_limit_ceiling() { return machine_memory() / 4 * 3; }

std::uint64_t planning_bytes(const ResampleSetup& s) {
  // Per table entry: max_taps (index + weight, 8 + 8 bytes) plus ntap,
  // coverage, inside and slack, for the planner's double copy and the
  // pipeline's W copy; coefficient tables cover the input axes plus margins.
  std::uint64_t total = 0;
  for (int k = 0; k < 3; ++k) {
    const AxisMap& a = s.grid.axis[k];
    // The widest of the axis's table and the general path's coefficient
    // table (zoom 1), from the kernel.
    const int taps = std::max(table_taps(*s.kernel, s.filter[static_cast<std::size_t>(k)], a.r > 0 ? 1.0 / a.r : 1.0),
                              table_taps(*s.kernel, s.filter[static_cast<std::size_t>(k)], 1.0));
    const std::uint64_t width = std::min(static_cast<std::uint64_t>(taps), static_cast<std::uint64_t>(a.n));
    const std::uint64_t entry = sat_add(sat_mul(width, 16), 48);
    std::uint64_t entries = sat_add(sat_add(static_cast<std::uint64_t>(a.m), static_cast<std::uint64_t>(a.n)), 64);
    if (k == 0) entries = sat_mul(entries, static_cast<std::uint64_t>(std::max(1, s.channels)));
    total = sat_add(total, sat_mul(sat_mul(entries, entry), 2));
    // A Gaussian antialiasing filter's weights (AxisFilter::gauss_weights),
    // 2R + 1 of them however short the axis: R grows with the reduction.
    const AxisFilter& f = s.filter[static_cast<std::size_t>(k)];
    if (f.kind == AxisFilter::Kind::gauss)
      total = sat_add(total, sat_mul(2 * static_cast<std::uint64_t>(f.radius) + 1, 8));
  }
  // One plane range per output plane (memory_plan.hpp), and the ring's
  // windows (engine/coefficient_ring.hpp).
  return sat_add(total, sat_mul(static_cast<std::uint64_t>(s.grid.axis[2].m), 64));
}

std::uint64_t least_limit(std::uint64_t from, const std::function<bool(std::uint64_t)>& plans) {
  constexpr std::uint64_t kTop = std::uint64_t{1} << 62;
  std::uint64_t lo = (from + kMiB - 1) / kMiB;  // in MiB
  if (plans(lo * kMiB)) return lo * kMiB;
  std::uint64_t hi = lo;
  for (;;) {  // grow by an eighth until it plans
    lo = hi;
    hi = hi + std::max<std::uint64_t>(hi / 8, 1);
    if (hi * kMiB > kTop) return UINT64_MAX;
    if (plans(hi * kMiB)) break;
  }
  while (hi - lo > 1) {  // lo fails, hi plans
    const std::uint64_t mid = lo + (hi - lo) / 2;
    (plans(mid * kMiB) ? hi : lo) = mid;
  }
  return hi * kMiB;
}

void refuse_tables(const LimitPolicy& p) {
  const std::uint64_t need = sat_add(p.planning_bytes, kProcessReserve);  // at least
  if (p.given)
    throw Error(ExitCode::memory_limit,
                "--memory-limit " + format_bytes(p.given) + " is too small for this request: its weight tables "
                "alone need " + format_bytes(p.planning_bytes) + " (check the target size; planning it takes a --memory-limit of at "
                "least " + mib(need) + ")");
  throw Error(ExitCode::memory_limit,
              "this request's weight tables alone need " + format_bytes(p.planning_bytes) + ", more than the default "
              "memory limit (" + format_bytes(p.default_limit) + ", which grows for the planes of wide volumes, not "
              "for tables): check the target size (a spacing in um given as mm?); planning it takes a --memory-limit "
              "of at least " + mib(need));
}

void refuse_past_ceiling(const LimitPolicy& p, std::uint64_t need) {
  throw Error(ExitCode::memory_limit,
              "this volume's smallest working set needs " + format_bytes(need) + ", past the ceiling of the default "
              "memory limit (" + format_bytes(p.ceiling) + ", 3/4 of this machine's memory): check the target size "
              "(a spacing in um given as mm?), or give --memory-limit " + mib(need) +
              " if the machine can spare it");
}

void check_planes(const LimitPolicy& p) {
  const std::uint64_t need = sat_add(p.plane_bytes, kProcessReserve);  // at least
  if (p.given && p.plane_bytes > p.given)
    throw Error(ExitCode::memory_limit, "--memory-limit " + format_bytes(p.given) + " is too small for this volume: "
                                            "one of its planes alone needs " + format_bytes(p.plane_bytes) +
                                            " (check the target size; it takes a --memory-limit of at least " + mib(need) + ")");
  if (!p.given && p.plane_bytes > p.ceiling)
    throw Error(ExitCode::memory_limit,
                "one plane of this volume alone needs " + format_bytes(p.plane_bytes) + ", past the ceiling of the "
                "default memory limit (" + format_bytes(p.ceiling) + ", 3/4 of this machine's memory): check the "
                "target size (a spacing in um given as mm?), or give a --memory-limit of at least " + mib(need) +
                " if the machine can spare it");
}

void refuse_given(const LimitPolicy& p, std::uint64_t least) {
  if (least == UINT64_MAX)
    throw Error(ExitCode::memory_limit, "--memory-limit " + format_bytes(p.given) +
                                            " is too small, and no limit up to 2^62 bytes plans this request");
  throw Error(ExitCode::memory_limit, "--memory-limit " + format_bytes(p.given) +
                                          " is too small for this volume: the smallest working set needs " +
                                          format_bytes(least) + " (use --memory-limit " + mib(least) + " or more)");
}

}  // namespace respace
