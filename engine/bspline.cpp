// SPDX-License-Identifier: MIT
#include "engine/bspline.hpp"

#include <cmath>

namespace respace {

double spline_pole(int order) {
  return order == 2 ? std::sqrt(8.0) - 3.0 : std::sqrt(3.0) - 2.0;
}

double spline_gain(int order) {
  const double z = spline_pole(order);
  return (1 - z) * (1 - 1 / z) * (-z) / (1 - z * z);
}

int spline_halo(int order, double tolerance) {
  const double z = std::fabs(spline_pole(order)), K = spline_gain(order);
  // tail(H) = 2 K z^(H+1) / (1 - z) <= tol  <=>  H + 1 >= log(tol (1 - z) / 2K) / log z
  const double h1 = std::log(tolerance * (1 - z) / (2 * K)) / std::log(z);
  return static_cast<int>(std::ceil(h1)) - 1;
}

std::int64_t extend_index(std::int64_t q, std::int64_t lo, std::int64_t hi, Extension e) {
  if (q >= lo && q <= hi) return q;
  const std::int64_t n = hi - lo + 1;
  if (n == 1) return lo;
  const std::int64_t period = e == Extension::mirror ? 2 * (n - 1) : 2 * n;
  std::int64_t r = (q - lo) % period;
  if (r < 0) r += period;
  if (r < n) return lo + r;
  return lo + (e == Extension::mirror ? period - r : period - 1 - r);
}

}  // namespace respace
