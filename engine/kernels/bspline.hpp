// SPDX-License-Identifier: MIT
// Interpolating B-splines of degree 2 and 3 (orders 2 and 3): evaluation
// over degree + 1 coefficients, after the exact recursive prefilter, both
// as scipy.ndimage and ITK compute them (the maths and the conventions:
// engine/bspline.hpp). The boundary rule defaults to mirror, as theirs.
#pragma once

#include <string>

#include "engine/bspline.hpp"
#include "engine/cpu_clones.hpp"
#include "engine/kernel.hpp"

namespace respace {

// The weights of a row of positions (out of line with an AVX2 clone: the
// general path calls it per output row, and floor is one instruction there).
template <int Degree>
RESPACE_CLONES __attribute__((noinline)) void spline_row_weights(const double* p, std::size_t count,
                                                                 std::int64_t* first, double* w) {
  for (std::size_t i = 0; i < count; ++i) first[i] = spline_weights<Degree>(p[i], w + i * (Degree + 1));
}

template <int Degree>
class BSplineKernel final : public Kernel {
  static_assert(Degree == 2 || Degree == 3, "B-splines of degree 2 and 3");

public:
  // `tolerance`: the prefilter's tail left out (the halo follows from it).
  explicit BSplineKernel(double tolerance = kSplineTolerance) : tolerance_(tolerance) {}
  const char* name() const override { return Degree == 2 ? "quadratic" : "cubic"; }
  std::string describe() const override {
    return std::string(name()) + " B-spline (order " + std::to_string(Degree) + ")";
  }
  Boundary default_boundary() const override { return Boundary::mirror; }
  int support(double) const override { return Degree + 1; }
  std::optional<Prefilter> prefilter() const override {
    return Prefilter{spline_pole(Degree), spline_gain(Degree), spline_halo(Degree, tolerance_), tolerance_};
  }
  void weights(const double* p, std::size_t count, double, std::int64_t* first, double* w) const override {
    spline_row_weights<Degree>(p, count, first, w);
  }

private:
  double tolerance_;
};

inline const Kernel& quadratic_kernel() {
  static const BSplineKernel<2> k;
  return k;
}

inline const Kernel& cubic_kernel() {
  static const BSplineKernel<3> k;
  return k;
}

// The same kernel with the prefilter's tail at kSplineTightTolerance (the
// kernel itself for a kernel without prefilter): for truncated integer
// output, where a 1e-7 tail could move a value across an integer.
inline const Kernel& tight_prefilter(const Kernel& k) {
  static const BSplineKernel<2> quadratic(kSplineTightTolerance);
  static const BSplineKernel<3> cubic(kSplineTightTolerance);
  if (&k == &quadratic_kernel()) return quadratic;
  if (&k == &cubic_kernel()) return cubic;
  return k;
}

}  // namespace respace
