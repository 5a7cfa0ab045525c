// SPDX-License-Identifier: MIT
// Linear interpolation (order 1): the two samples either side of p,
// weighted by distance; the boundary rule defaults to nearest, as ITK's
// LinearInterpolateImageFunction.
#pragma once

#include <cmath>

#include "engine/cpu_clones.hpp"
#include "engine/kernel.hpp"

namespace respace {

// The weights of a row of positions (out of line with an AVX2 clone: the
// general path calls it per output row, and floor is one instruction there).
RESPACE_CLONES __attribute__((noinline)) inline void linear_row_weights(const double* p, std::size_t count,
                                                                    std::int64_t* first, double* w) {
  for (std::size_t i = 0; i < count; ++i) {
    const double f = std::floor(p[i]), t = p[i] - f;
    w[2 * i] = 1 - t;
    w[2 * i + 1] = t;
    first[i] = static_cast<std::int64_t>(f);
  }
}

class LinearKernel final : public Kernel {
public:
  const char* name() const override { return "linear"; }
  std::string describe() const override { return "linear (order 1)"; }
  Boundary default_boundary() const override { return Boundary::nearest; }
  int support(double) const override { return 2; }
  void weights(const double* p, std::size_t count, double, std::int64_t* first, double* w) const override {
    linear_row_weights(p, count, first, w);
  }
};

inline const Kernel& linear_kernel() {
  static const LinearKernel k;
  return k;
}

}  // namespace respace
