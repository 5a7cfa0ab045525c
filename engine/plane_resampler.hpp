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

#include "engine/weighted_sum.hpp"

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

// Wide x kernels (B-splines: up to 30 taps) run transposed: the gather of
// scattered taps becomes the contiguous, vectorised row combine of the y
// pass. Same taps, same order, same bits; two cache-blocked transposes cost
// less than the scalar gather from 3 taps on.
template <class W>
bool x_pass_transposed(const AxisTable<W>& X) {
  return !X.identity && X.max_taps >= 3;
}

// Extra scratch (values) that the transposed x pass needs.
template <class W>
std::size_t x_transpose_scratch_values(const AxisTable<W>& X, const AxisTable<W>& Y) {
  if (!x_pass_transposed(X)) return 0;
  const std::int64_t rows = std::max(Y.n, Y.m);
  return static_cast<std::size_t>(X.n * rows + X.m * rows);
}

// dst (cols x rows) = transpose of src (rows x cols), in 32 x 32 tiles.
template <class W>
void transpose(const W* src, W* dst, std::int64_t rows, std::int64_t cols) {
  constexpr std::int64_t T = 32;
  for (std::int64_t r0 = 0; r0 < rows; r0 += T)
    for (std::int64_t c0 = 0; c0 < cols; c0 += T) {
      const std::int64_t r1 = std::min(rows, r0 + T), c1 = std::min(cols, c0 + T);
      for (std::int64_t r = r0; r < r1; ++r)
        for (std::int64_t c = c0; c < c1; ++c) dst[c * rows + r] = src[r * cols + c];
    }
}

// y pass: out row jy (width `width`) = weighted rows of `in`.
template <class W>
void y_pass(const W* in, W* out, std::int64_t width, const AxisTable<W>& Y) {
  std::vector<const W*> rows(static_cast<std::size_t>(Y.max_taps));  // as wide as the table
  for (std::int64_t jy = 0; jy < Y.m; ++jy) {
    const std::int64_t* idx = Y.taps(jy);
    const int nt = Y.ntap[static_cast<std::size_t>(jy)];
    for (int k = 0; k < nt; ++k) rows[static_cast<std::size_t>(k)] = in + idx[k] * width;
    combine(rows.data(), Y.weights(jy), nt, out + jy * width, static_cast<std::size_t>(width));
  }
}

// x pass over `rows` rows of X.n values into rows of X.m values.
template <class W>
void x_pass(const W* in, W* out, std::int64_t rows, const AxisTable<W>& X, W* scratch) {
  if (!x_pass_transposed(X)) {
    for (std::int64_t r = 0; r < rows; ++r) gather_row(in + r * X.n, out + r * X.m, X);
    return;
  }
  W* t_in = scratch;                // X.n rows of `rows` values
  W* t_out = scratch + X.n * rows;  // X.m rows of `rows` values
  transpose(in, t_in, rows, X.n);
  y_pass(t_in, t_out, rows, X);
  transpose(t_out, out, X.m, rows);
}

// `scratch` holds xy_scratch_values() + x_transpose_scratch_values() values.
template <class W>
void resample_plane(const W* in, W* scratch, W* out, const AxisTable<W>& X, const AxisTable<W>& Y,
                    XyOrder order) {
  W* tmp = scratch;
  W* xs = scratch + xy_scratch_values(X, Y);
  // An identity axis is a copy: skip its pass rather than copy the plane.
  if (X.identity && Y.identity) {
    std::memcpy(out, in, static_cast<std::size_t>(X.n * Y.n) * sizeof(W));
  } else if (Y.identity) {
    x_pass(in, out, Y.n, X, xs);
  } else if (X.identity) {
    y_pass(in, out, X.n, Y);
  } else if (Y.picks() && !x_pass_transposed(X)) {
    // y picks whole rows (a margin's extension): each output row is the x
    // pass of its input row, with no plane in between.
    for (std::int64_t jy = 0; jy < Y.m; ++jy) gather_row(in + Y.lo(jy) * X.n, out + jy * X.m, X);
  } else if (order == XyOrder::y_first) {
    y_pass(in, tmp, X.n, Y);
    x_pass(tmp, out, Y.m, X, xs);
  } else {
    x_pass(in, tmp, Y.n, X, xs);
    y_pass(tmp, out, X.m, Y);
  }
}

}  // namespace respace
