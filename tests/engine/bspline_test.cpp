// SPDX-License-Identifier: MIT
// B-spline tables: the halo formula, boundary extension, and the folded
// prefilter+evaluation weights against a direct recursive prefilter on the
// whole line (the definition scipy and ITK use).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/axis_table.hpp"
#include "tests/engine/kernel_of.hpp"
#include "engine/bspline.hpp"

namespace respace {
namespace {

TEST(Bspline, PolesGainsAndHalo) {
  EXPECT_NEAR(spline_pole(3), -0.2679491924311228, 1e-15);
  EXPECT_NEAR(spline_pole(2), -0.1715728752538097, 1e-15);
  EXPECT_NEAR(spline_gain(3), std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(spline_gain(2), std::sqrt(2.0), 1e-12);
  EXPECT_EQ(spline_halo(3), 13);
  EXPECT_EQ(spline_halo(2), 9);
  for (int order : {2, 3}) {  // the documented bound holds at H and fails at H - 1
    const double z = std::fabs(spline_pole(order)), K = spline_gain(order);
    auto tail = [&](int H) { return 2 * K * std::pow(z, H + 1) / (1 - z); };
    EXPECT_LE(tail(spline_halo(order)), kSplineTolerance);
    EXPECT_GT(tail(spline_halo(order) - 1), kSplineTolerance);
  }
}

TEST(Bspline, ExtendIndex) {
  // mirror (whole-sample) on [0, 3]: ... 2 1 | 0 1 2 3 | 2 1 0 1 ...
  const std::int64_t mirror[] = {1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0};  // q = -5 .. 6
  for (std::int64_t q = -5; q <= 6; ++q) EXPECT_EQ(extend_index(q, 0, 3, Extension::mirror), mirror[q + 5]) << q;
  // reflect (half-sample) on [0, 3]: ... 2 1 0 | 0 1 2 3 | 3 2 1 0 ...
  const std::int64_t reflect[] = {2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0};  // q = -6 .. 7
  for (std::int64_t q = -6; q <= 7; ++q) EXPECT_EQ(extend_index(q, 0, 3, Extension::reflect), reflect[q + 6]) << q;
  EXPECT_EQ(extend_index(-7, 0, 0, Extension::mirror), 0);
}

TEST(Bspline, WeightsSumToOne) {
  double w[4];
  for (int order = 0; order <= 3; ++order)
    for (double p : {-0.5, -0.2, 0.0, 0.37, 0.5, 3.99}) {
      kernel_of(order).weights_at(p, 1.0, w);
      double s = 0;
      for (int t = 0; t <= order; ++t) s += w[t];
      EXPECT_NEAR(s, 1.0, 1e-15) << order << " " << p;
    }
}

// scipy's recursive prefilter with the mirror initialisation (exact for the
// whole-sample symmetric extension), then direct B-spline evaluation.
std::vector<double> recursive_reference(const std::vector<double>& x, int order, const AxisMap& ax) {
  const auto n = static_cast<std::int64_t>(x.size());
  const double z = spline_pole(order);
  std::vector<double> c(x);
  const double gain = (1 - z) * (1 - 1 / z);
  for (double& v : c) v *= gain;
  double zi = z, zn1 = std::pow(z, static_cast<double>(n - 1));
  double c0 = c[0] + zn1 * c[static_cast<std::size_t>(n - 1)];
  for (std::int64_t i = 1; i < n - 1; ++i) {
    c0 += zi * (c[static_cast<std::size_t>(i)] + zn1 * c[static_cast<std::size_t>(n - 1 - i)]);
    zi *= z;
  }
  c[0] = c0 / (1 - zn1 * zn1);
  for (std::int64_t i = 1; i < n; ++i) c[static_cast<std::size_t>(i)] += z * c[static_cast<std::size_t>(i - 1)];
  c[static_cast<std::size_t>(n - 1)] =
      (z * c[static_cast<std::size_t>(n - 2)] + c[static_cast<std::size_t>(n - 1)]) * z / (z * z - 1);
  for (std::int64_t i = n - 2; i >= 0; --i)
    c[static_cast<std::size_t>(i)] = z * (c[static_cast<std::size_t>(i + 1)] - c[static_cast<std::size_t>(i)]);
  std::vector<double> out(static_cast<std::size_t>(ax.m));
  double w[4];
  for (std::int64_t j = 0; j < ax.m; ++j) {
    const std::int64_t first = kernel_of(order).weights_at(ax.position(j), 1.0, w);
    double s = 0;
    for (int t = 0; t <= order; ++t)
      s += w[t] * c[static_cast<std::size_t>(extend_index(first + t, 0, n - 1, Extension::mirror))];
    out[static_cast<std::size_t>(j)] = s;
  }
  return out;
}

TEST(Bspline, TableEqualsWholeLineRecursivePrefilter) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-100, 100);
  for (std::int64_t n : {2, 5, 40, 300})
    for (int order : {2, 3}) {
      std::vector<double> x(static_cast<std::size_t>(n));
      for (double& v : x) v = u(rng);
      AxisMap ax;
      ax.n = n;
      ax.m = 2 * n + 3;
      ax.r = static_cast<double>(n) / static_cast<double>(ax.m);
      ax.a = -0.5 + ax.r / 2;  // fov grid: positions reach into both half-voxel edges
      const auto t = build_axis_table<double>(ax, kernel_of(order), Boundary::mirror);
      const std::vector<double> ref = recursive_reference(x, order, ax);
      for (std::int64_t j = 0; j < ax.m; ++j) {
        double s = 0;
        for (int k = 0; k < t.ntap[static_cast<std::size_t>(j)]; ++k)
          s += t.weights(j)[k] * x[static_cast<std::size_t>(t.taps(j)[k])];
        EXPECT_NEAR(s, ref[static_cast<std::size_t>(j)], 200 * 2e-7) << "n " << n << " order " << order << " j " << j;
      }
      EXPECT_LE(t.max_taps, order + 1 + 2 * spline_halo(order));
    }
}

TEST(Bspline, SamplesOnVoxelCentresAreTheData) {
  // The interpolating spline passes through the samples: on a 2x downsampling
  // with the origin grid every output lands on an input centre.
  AxisMap ax;
  ax.n = 41;
  ax.m = 21;
  ax.r = 2;
  ax.a = 0;
  for (Boundary b : {Boundary::mirror, Boundary::reflect, Boundary::nearest, Boundary::constant}) {
    const auto t = build_axis_table<double>(ax, cubic_kernel(), b);
    for (std::int64_t j = 0; j < ax.m; ++j) {
      double at_centre = 0, elsewhere = 0;
      for (int k = 0; k < t.ntap[static_cast<std::size_t>(j)]; ++k)
        (t.taps(j)[k] == 2 * j ? at_centre : elsewhere) += std::fabs(t.weights(j)[k]);
      EXPECT_NEAR(at_centre, 1.0, kSplineTolerance) << to_string(b);  // truncation residue only
      EXPECT_LT(elsewhere, kSplineTolerance) << to_string(b);
    }
  }
}

TEST(Bspline, ConstantBoundaryKeepsTheWeightItCannotRead) {
  AxisMap ax;
  ax.n = 10;
  ax.m = 10;
  ax.r = 1;
  ax.a = 0.4;  // shifted: the last samples' kernels reach past the edge
  const auto t = build_axis_table<double>(ax, cubic_kernel(), Boundary::constant);
  EXPECT_FALSE(t.full_coverage);
  for (std::int64_t j = 0; j < ax.m; ++j) {
    if (!t.inside[static_cast<std::size_t>(j)]) continue;
    double s = 0;
    for (int k = 0; k < t.ntap[static_cast<std::size_t>(j)]; ++k) s += t.weights(j)[k];
    EXPECT_NEAR(s, t.coverage[static_cast<std::size_t>(j)], 1e-12);
  }
  // p = 8.4: the far taps read fill (the prefilter can give the padding
  // negative weight, so coverage may exceed 1)
  EXPECT_GT(std::fabs(1.0 - t.coverage[8]), 1e-3);
}

}  // namespace
}  // namespace respace
