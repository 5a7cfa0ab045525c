// SPDX-License-Identifier: MIT
#include "engine/axis_table.hpp"

#include <algorithm>
#include <cmath>

namespace respace {
namespace {

std::int64_t apply_boundary(std::int64_t i, std::int64_t n, Boundary) {
  return std::clamp<std::int64_t>(i, 0, n - 1);  // nearest: edge replicate
}

}  // namespace

template <class W>
std::int64_t AxisTable<W>::lo(std::int64_t j) const {
  const std::int64_t* t = taps(j);
  return *std::min_element(t, t + ntap[static_cast<std::size_t>(j)]);
}

template <class W>
std::int64_t AxisTable<W>::hi(std::int64_t j) const {
  const std::int64_t* t = taps(j);
  return *std::max_element(t, t + ntap[static_cast<std::size_t>(j)]);
}

template <class W>
AxisTable<W> build_axis_table(const AxisMap& axis, Order order, Boundary boundary) {
  AxisTable<W> t;
  t.n = axis.n;
  t.m = axis.m;
  t.max_taps = order == Order::nearest ? 1 : 2;
  t.identity = axis.identity();
  const auto m = static_cast<std::size_t>(axis.m);
  t.ntap.assign(m, 0);
  t.index.assign(m * static_cast<std::size_t>(t.max_taps), 0);
  t.weight.assign(m * static_cast<std::size_t>(t.max_taps), W(0));
  t.inside.assign(m, 0);
  const double fov_lo = -0.5, fov_hi = static_cast<double>(axis.n) - 0.5;
  for (std::size_t j = 0; j < m; ++j) {
    const double p = t.identity ? static_cast<double>(j) : axis.position(static_cast<std::int64_t>(j));
    if (!(p >= fov_lo && p <= fov_hi)) continue;  // outside the FOV: fill
    t.inside[j] = 1;
    std::int64_t* idx = &t.index[j * static_cast<std::size_t>(t.max_taps)];
    W* w = &t.weight[j * static_cast<std::size_t>(t.max_taps)];
    int& nt = t.ntap[j];
    if (order == Order::nearest) {
      idx[0] = apply_boundary(static_cast<std::int64_t>(std::floor(p + 0.5)), axis.n, boundary);
      w[0] = W(1);
      nt = 1;
      continue;
    }
    const double f0 = std::floor(p);
    const double frac = p - f0;
    const auto i0 = static_cast<std::int64_t>(f0);
    const double wd[2] = {1.0 - frac, frac};
    for (int k = 0; k < 2; ++k) {
      if (wd[k] == 0.0) continue;
      idx[nt] = apply_boundary(i0 + k, axis.n, boundary);
      w[nt] = static_cast<W>(wd[k]);
      ++nt;
    }
  }
  return t;
}

template struct AxisTable<float>;
template struct AxisTable<double>;
template AxisTable<float> build_axis_table<float>(const AxisMap&, Order, Boundary);
template AxisTable<double> build_axis_table<double>(const AxisMap&, Order, Boundary);

}  // namespace respace
