// SPDX-License-Identifier: MIT
// --compare: min, max, mean and standard deviation of the input and the
// output, computed while streaming (no second pass). Each plane gets its own
// partial (count, min, max, mean, M2) on whatever thread handles it; the
// serial pipeline stages merge the partials in plane order (Chan et al.'s
// pairwise update), so the result does not depend on threads or blocks.
// NaN values are left out of the statistics.
//
// Thread safety: a ValueStats is used by one thread at a time.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace respace {

struct ValueStats {
  std::uint64_t count = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double mean = 0;
  double m2 = 0;  // sum of squared deviations from the mean

  template <class W>
  static ValueStats of(const W* v, std::size_t n) {
    ValueStats s;
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double x = static_cast<double>(v[i]);
      if (std::isnan(x)) continue;
      ++s.count;
      sum += x;
      s.min = std::min(s.min, x);
      s.max = std::max(s.max, x);
    }
    if (s.count == 0) return s;
    s.mean = sum / static_cast<double>(s.count);
    for (std::size_t i = 0; i < n; ++i) {
      const double x = static_cast<double>(v[i]);
      if (!std::isnan(x)) s.m2 += (x - s.mean) * (x - s.mean);
    }
    return s;
  }

  void merge(const ValueStats& o) {
    if (o.count == 0) return;
    if (count == 0) {
      *this = o;
      return;
    }
    const double n = static_cast<double>(count), m = static_cast<double>(o.count);
    const double delta = o.mean - mean;
    mean += delta * m / (n + m);
    m2 += o.m2 + delta * delta * n * m / (n + m);
    count += o.count;
    min = std::min(min, o.min);
    max = std::max(max, o.max);
  }

  // Population standard deviation (numpy's default, ddof = 0).
  double std_dev() const { return count ? std::sqrt(m2 / static_cast<double>(count)) : 0.0; }

  // The statistics of slope * x + inter (scl_slope, scl_inter).
  ValueStats scaled(double slope, double inter) const {
    if (slope == 0 || (slope == 1 && inter == 0)) return *this;
    ValueStats s = *this;
    s.min = (slope > 0 ? min : max) * slope + inter;
    s.max = (slope > 0 ? max : min) * slope + inter;
    s.mean = mean * slope + inter;
    s.m2 = m2 * slope * slope;
    return s;
  }
};

}  // namespace respace
