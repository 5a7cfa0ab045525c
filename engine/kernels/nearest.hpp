// SPDX-License-Identifier: MIT
// Nearest neighbour (order 0): the input sample whose voxel holds p, index
// floor(p + 1/2) (SPEC §3: a tie goes up, as scipy's order 0).
#pragma once

#include <cmath>

#include "engine/kernel.hpp"

namespace respace {

class NearestKernel final : public Kernel {
public:
  const char* name() const override { return "nearest"; }
  std::string describe() const override { return "nearest (order 0)"; }
  Boundary default_boundary() const override { return Boundary::nearest; }
  bool keeps_values() const override { return true; }
  int support(double) const override { return 1; }
  void weights(const double* p, std::size_t count, double, std::int64_t* first, double* w) const override {
    for (std::size_t i = 0; i < count; ++i) {
      w[i] = 1;
      first[i] = static_cast<std::int64_t>(std::floor(p[i] + 0.5));
    }
  }
};

inline const Kernel& nearest_kernel() {
  static const NearestKernel k;
  return k;
}

}  // namespace respace
