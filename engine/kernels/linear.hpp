// SPDX-License-Identifier: MIT
// Linear interpolation (order 1): the two samples either side of p,
// weighted by distance; the boundary rule defaults to nearest, as ITK's
// LinearInterpolateImageFunction.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "engine/cpu_clones.hpp"
#include "engine/kernel.hpp"

namespace respace {

// The weights of a row of positions (out of line with an AVX2 clone: the
// general path calls it per output row, and floor is one instruction there).
// The first tap converts to an integer by the add-a-magic-number trick,
// which vectorises (AVX2 has no double -> int64 conversion); it is exact
// for |floor(p)| < 2^51, and a row with any position past 2^50 (or NaN) is
// converted again the plain way.
inline std::int64_t double_bits(double d) {
  std::int64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

RESPACE_CLONES __attribute__((noinline)) inline void linear_row_weights(const double* __restrict p, std::size_t count,
                                                                    std::int64_t* __restrict first, double* __restrict w) {
  constexpr double kMagic = 0x1.8p52;  // 2^52 + 2^51: f + kMagic has f + 2^51 in its low mantissa bits
  const std::int64_t magic_bits = double_bits(kMagic);
  std::int64_t far = 0;  // an integer: GCC 12 vectorises an OR of integers, not of bools
  for (std::size_t i = 0; i < count; ++i) {
    const double f = std::floor(p[i]), t = p[i] - f;
    w[2 * i] = 1 - t;
    w[2 * i + 1] = t;
    first[i] = double_bits(f + kMagic) - magic_bits;
    far |= std::fabs(f) < 0x1p50 ? 0 : 1;
  }
  if (far)
    for (std::size_t i = 0; i < count; ++i) first[i] = static_cast<std::int64_t>(std::floor(p[i]));
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
