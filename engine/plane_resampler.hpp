// SPDX-License-Identifier: MIT
// Resamples one input plane (nx by ny, x fastest) in x and y to an
// intermediate plane (mx by my). The two 1-D passes can run in either order;
// the plan picks the cheaper one once (XyOrder), so the choice never depends
// on threads or blocks. Scratch: one tmp plane of max(nx*my, mx*ny) values.
//
// Thread safety: pure function on caller-owned memory.
#pragma once

#include <algorithm>
#include <vector>

#include "engine/kernels.hpp"

namespace respace {

enum class XyOrder { y_first, x_first };

// Multiply-adds of each order, for the plan to compare.
template <class W>
XyOrder cheaper_xy_order(const AxisTable<W>& X, const AxisTable<W>& Y) {
  const double nx = static_cast<double>(X.n), mx = static_cast<double>(X.m);
  const double ny = static_cast<double>(Y.n), my = static_cast<double>(Y.m);
  const double y_first = my * nx * Y.max_taps + mx * my * X.max_taps;
  const double x_first = ny * mx * X.max_taps + mx * my * Y.max_taps;
  return y_first <= x_first ? XyOrder::y_first : XyOrder::x_first;
}

template <class W>
std::size_t xy_scratch_values(const AxisTable<W>& X, const AxisTable<W>& Y) {
  return static_cast<std::size_t>(std::max(X.n * Y.m, X.m * Y.n));
}

// y pass: out row jy (width `width`) = weighted rows of `in`.
template <class W>
void y_pass(const W* in, W* out, std::int64_t width, const AxisTable<W>& Y) {
  const W* rows[kMaxTaps];
  for (std::int64_t jy = 0; jy < Y.m; ++jy) {
    const std::int64_t* idx = Y.taps(jy);
    const int nt = Y.ntap[static_cast<std::size_t>(jy)];
    for (int k = 0; k < nt; ++k) rows[k] = in + idx[k] * width;
    combine(rows, Y.weights(jy), nt, out + jy * width, static_cast<std::size_t>(width));
  }
}

template <class W>
void resample_plane(const W* in, W* tmp, W* out, const AxisTable<W>& X, const AxisTable<W>& Y,
                    XyOrder order) {
  if (order == XyOrder::y_first) {
    y_pass(in, tmp, X.n, Y);
    for (std::int64_t jy = 0; jy < Y.m; ++jy) gather_row(tmp + jy * X.n, out + jy * X.m, X);
  } else {
    for (std::int64_t iy = 0; iy < Y.n; ++iy) gather_row(in + iy * X.n, tmp + iy * X.m, X);
    y_pass(tmp, out, X.m, Y);
  }
}

}  // namespace respace
