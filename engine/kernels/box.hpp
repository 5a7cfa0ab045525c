// SPDX-License-Identifier: MIT
// The footprint mean (--antialias box, engine/antialias.hpp): output voxel
// at input position p, of k = 1 / zoom input voxels along the axis, is the
// exact mean of the input over its footprint [p - k/2, p + k/2], input voxel
// i covering [i - 1/2, i + 1/2]: weight = overlap / k, so partly covered
// voxels count by the part covered and the weights sum to 1. Its support
// grows with the reduction: ceil(k) + 1 samples.
#pragma once

#include <algorithm>
#include <cmath>

#include "engine/kernel.hpp"

namespace respace {

class BoxKernel final : public Kernel {
public:
  const char* name() const override { return "box"; }
  std::string describe() const override { return "footprint mean (box)"; }
  Boundary default_boundary() const override { return Boundary::nearest; }
  // Capped, so the cast is defined for any zoom; the planner refuses tables
  // anywhere near that wide (engine/memory_limit.hpp planning_bytes).
  int support(double zoom) const override {
    return static_cast<int>(std::min(std::ceil(1.0 / zoom), static_cast<double>(1 << 30))) + 1;
  }
  void weights(const double* p, std::size_t count, double zoom, std::int64_t* first, double* w) const override {
    const double k = 1.0 / zoom;
    const int taps = support(zoom);
    for (std::size_t i = 0; i < count; ++i) {
      const double lo = p[i] - k / 2, hi = p[i] + k / 2;
      first[i] = static_cast<std::int64_t>(std::floor(lo + 0.5));
      for (int t = 0; t < taps; ++t) {
        const double c = static_cast<double>(first[i] + t);
        const double overlap = std::min(hi, c + 0.5) - std::max(lo, c - 0.5);
        w[i * static_cast<std::size_t>(taps) + static_cast<std::size_t>(t)] = overlap > 0 ? overlap / k : 0.0;
      }
    }
  }
};

inline const Kernel& box_kernel() {
  static const BoxKernel k;
  return k;
}

}  // namespace respace
