// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cmath>

#include "engine/axis_table.hpp"
#include "tests/engine/kernel_of.hpp"

namespace respace {
namespace {

AxisMap axis(std::int64_t n, std::int64_t m, double r, double a) {
  AxisMap ax;
  ax.n = n;
  ax.m = m;
  ax.r = r;
  ax.a = a;
  return ax;
}

TEST(AxisTable, LinearWeightsSumToOneAndStayInRange) {
  const auto t = build_axis_table<double>(axis(10, 7, 1.5, -0.3), linear_kernel(), Boundary::nearest);
  for (std::int64_t j = 0; j < t.m; ++j) {
    ASSERT_TRUE(t.inside[j]);
    double sum = 0;
    for (int k = 0; k < t.ntap[j]; ++k) {
      sum += t.weights(j)[k];
      EXPECT_GE(t.taps(j)[k], 0);
      EXPECT_LT(t.taps(j)[k], 10);
    }
    EXPECT_NEAR(sum, 1.0, 1e-15);
  }
  // p(0) = -0.3: taps -1 (clamped to 0) and 0 merge into voxel 0 alone,
  // so the edge value is reproduced exactly.
  EXPECT_EQ(t.ntap[0], 1);
  EXPECT_EQ(t.taps(0)[0], 0);
  EXPECT_EQ(t.weights(0)[0], 1.0);
  // p(1) = 1.2: taps 1 and 2 with weights 0.8 and 0.2.
  ASSERT_EQ(t.ntap[1], 2);
  EXPECT_EQ(t.taps(1)[0], 1);
  EXPECT_NEAR(t.weights(1)[0], 0.8, 1e-15);
}

TEST(AxisTable, OnVoxelCentresOneTapOfWeightOne) {
  const auto t = build_axis_table<float>(axis(9, 5, 2.0, 0.0), linear_kernel(), Boundary::nearest);
  for (std::int64_t j = 0; j < t.m; ++j) {
    ASSERT_EQ(t.ntap[j], 1);
    EXPECT_EQ(t.taps(j)[0], 2 * j);
    EXPECT_EQ(t.weights(j)[0], 1.0f);
  }
}

TEST(AxisTable, NearestRoundsHalfUpAndMarksOutsideFov) {
  // p = -0.75, -0.5, 1.0, 2.5, 4.0, 5.5 with n = 5 (FOV [-0.5, 4.5]).
  const auto t = build_axis_table<float>(axis(5, 6, 1.5, -1.25), nearest_kernel(), Boundary::nearest);
  const double p0 = -1.25;
  for (std::int64_t j = 0; j < 6; ++j) {
    const double p = p0 + 1.5 * static_cast<double>(j);
    const bool inside = p >= -0.5 && p <= 4.5;
    EXPECT_EQ(t.inside[j] != 0, inside) << "p = " << p;
    if (inside) EXPECT_EQ(t.taps(j)[0], std::min<std::int64_t>(4, static_cast<std::int64_t>(std::floor(p + 0.5))));
    else EXPECT_EQ(t.ntap[j], 0);
  }
}

TEST(AxisTable, IdentityIsMarked) {
  AxisMap a = axis(12, 12, 1.0, 0.0);
  EXPECT_TRUE((build_axis_table<float>(a, linear_kernel(), Boundary::nearest).identity));
  a.a = 0.5;
  EXPECT_FALSE((build_axis_table<float>(a, linear_kernel(), Boundary::nearest).identity));
}

}  // namespace
}  // namespace respace
