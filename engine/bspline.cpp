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

int spline_halo(int order) {
  const double z = std::fabs(spline_pole(order)), K = spline_gain(order);
  // tail(H) = 2 K z^(H+1) / (1 - z) <= tol  <=>  H + 1 >= log(tol (1 - z) / 2K) / log z
  const double h1 = std::log(kSplineTolerance * (1 - z) / (2 * K)) / std::log(z);
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

std::int64_t spline_weights(int order, double p, double* w) {
  switch (order) {
    case 0: {
      w[0] = 1;
      return static_cast<std::int64_t>(std::floor(p + 0.5));
    }
    case 1: {
      const double f = std::floor(p), t = p - f;
      w[0] = 1 - t;
      w[1] = t;
      return static_cast<std::int64_t>(f);
    }
    case 2: {
      const double f = std::floor(p + 0.5), t = p - f;
      w[0] = 0.5 * (0.5 - t) * (0.5 - t);
      w[1] = 0.75 - t * t;
      w[2] = 0.5 * (0.5 + t) * (0.5 + t);
      return static_cast<std::int64_t>(f) - 1;
    }
    default: {
      const double f = std::floor(p), t = p - f, u = 1 - t;
      w[0] = u * u * u / 6;
      w[1] = (3 * t * t * t - 6 * t * t + 4) / 6;
      w[2] = (-3 * t * t * t + 3 * t * t + 3 * t + 1) / 6;
      w[3] = t * t * t / 6;
      return static_cast<std::int64_t>(f) - 1;
    }
  }
}

}  // namespace respace
