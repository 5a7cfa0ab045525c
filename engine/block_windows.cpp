// SPDX-License-Identifier: MIT
#include "engine/block_windows.hpp"

#include <algorithm>
#include <limits>

namespace respace {

BlockWindows block_windows(const std::vector<PlaneRange>& planes, int block) {
  BlockWindows w;
  const auto m = static_cast<std::int64_t>(planes.size());
  const std::int64_t blocks = (m + block - 1) / block;
  w.need.resize(static_cast<std::size_t>(blocks));
  for (std::int64_t k = 0; k < m; ++k) {
    const PlaneRange& p = planes[static_cast<std::size_t>(k)];
    if (!p.any) continue;
    PlaneRange& u = w.need[static_cast<std::size_t>(k / block)];
    u.lo = u.any ? std::min(u.lo, p.lo) : p.lo;
    u.hi = u.any ? std::max(u.hi, p.hi) : p.hi;
    u.any = true;
  }
  w.ready.resize(w.need.size());
  w.keep.resize(w.need.size());
  std::int64_t ready = 0;
  for (std::size_t b = 0; b < w.need.size(); ++b) {
    const PlaneRange& u = w.need[b];
    if (u.any) {
      w.new_max = std::max(w.new_max, std::max<std::int64_t>(0, u.hi + 1 - ready));
      w.span_max = std::max(w.span_max, u.hi + 1 - u.lo);
      ready = std::max(ready, u.hi + 1);
    }
    w.ready[b] = ready;
  }
  std::int64_t keep = std::numeric_limits<std::int64_t>::max();
  for (std::size_t b = w.need.size(); b-- > 0;) {
    if (w.need[b].any) keep = std::min(keep, w.need[b].lo);
    w.keep[b] = keep;
    w.held_max = std::max(w.held_max, w.ready[b] - std::min(keep, w.ready[b]));
  }
  return w;
}

BlockShape block_shape(const std::vector<PlaneRange>& planes, int block) {
  BlockShape s;
  std::int64_t ready = 0;
  const std::size_t m = planes.size(), step = static_cast<std::size_t>(block);
  for (std::size_t k0 = 0; k0 < m; k0 += step) {
    bool any = false;
    std::int64_t lo = 0, hi = 0;
    for (std::size_t k = k0, k1 = std::min(m, k0 + step); k < k1; ++k) {
      const PlaneRange& p = planes[k];
      if (!p.any) continue;
      lo = any ? std::min(lo, p.lo) : p.lo;
      hi = any ? std::max(hi, p.hi) : p.hi;
      any = true;
    }
    if (!any) continue;
    s.new_max = std::max(s.new_max, std::max<std::int64_t>(0, hi + 1 - ready));
    s.span_max = std::max(s.span_max, hi + 1 - lo);
    ready = std::max(ready, hi + 1);
  }
  return s;
}

}  // namespace respace
