// SPDX-License-Identifier: MIT
// The voxel map of --like/--affine/--crop (engine/target.hpp) and the
// coefficient tables of the general path (the --affine file formats are
// tested beside their reader, tests/cli/affine_file_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/axis_table.hpp"
#include "tests/engine/kernel_of.hpp"
#include "engine/bspline.hpp"
#include "engine/target.hpp"
#include "io/error.hpp"

namespace respace {
namespace {

InputGeometry geometry(std::array<std::int64_t, 3> n, std::array<double, 3> s, std::array<double, 3> origin) {
  InputGeometry g;
  g.n = n;
  g.has_sform = true;
  for (int k = 0; k < 3; ++k) {
    g.primary[k][k] = s[k];
    g.primary[k][3] = origin[k];
    g.pixdim[k] = s[k];
  }
  g.sform = g.primary;
  return g;
}

TEST(Target, SpacingAloneKeepsThePlanGridExactly) {
  const InputGeometry in = geometry({100, 80, 60}, {0.1, 0.1, 0.1}, {-5, 3, 2});
  TargetRequest req;
  req.grid.spacing = {0.15, 0.15, 0.15};
  const TargetPlan t = plan_target(in, req);
  const GridPlan g = plan_grid(in, req.grid);
  EXPECT_TRUE(t.separable);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(t.grid.axis[k].r, g.axis[k].r);
    EXPECT_EQ(t.grid.axis[k].a, g.axis[k].a);
    EXPECT_EQ(t.voxel_map[k][k], g.M[k][k]);
  }
}

TEST(Target, LikeItsOwnGridIsTheIdentity) {
  InputGeometry in = geometry({30, 20, 10}, {0.7f, 0.9f, 1.3f}, {-10.25, 4.5, 7});
  in.primary[0][1] = 0.05;  // oblique, as scanners write
  in.sform = in.primary;
  TargetRequest req;
  req.like = in;
  const TargetPlan t = plan_target(in, req);
  EXPECT_TRUE(t.separable);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_EQ(t.voxel_map[r][c], r == c ? 1.0 : 0.0);
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(t.grid.axis[k].identity());
}

TEST(Target, CropThenSizeMapsIntoTheCrop) {
  const InputGeometry in = geometry({35, 35, 1}, {0.5, 0.5, 1}, {0, 0, 0});
  TargetRequest req;
  req.crop = CropBox{{10, 10, 0}, {15, 15, 1}};
  req.grid.size = std::array<std::int64_t, 3>{32, 32, 1};
  const TargetPlan t = plan_target(in, req);
  ASSERT_TRUE(t.separable);
  const double r = 15.0 / 32.0;
  EXPECT_DOUBLE_EQ(t.voxel_map[0][0], r);
  EXPECT_DOUBLE_EQ(t.voxel_map[0][3], -0.5 + r / 2);
  EXPECT_EQ(t.grid.axis[0].first, 10);
  EXPECT_EQ(t.grid.axis[0].stored, 35);
  // The centre of output voxels 15 and 16 is the crop's voxel 7: input 17.
  EXPECT_DOUBLE_EQ(10 + t.voxel_map[0][3] + 15.5 * t.voxel_map[0][0], 17.0);
  // The output affine starts at the crop: A T(first) M.
  EXPECT_DOUBLE_EQ(t.grid.primary_out[0][3], 0.5 * (10 + t.voxel_map[0][3]));
}

TEST(Target, CropOutsideTheInputIsRefused) {
  const InputGeometry in = geometry({10, 10, 10}, {1, 1, 1}, {0, 0, 0});
  TargetRequest req;
  req.crop = CropBox{{5, 0, 0}, {6, 10, 10}};
  EXPECT_THROW(plan_target(in, req), Error);
}

TEST(Target, CropFromWorldTakesTheVoxelCentresInside) {
  const InputGeometry in = geometry({40, 40, 40}, {0.5, 0.5, 0.5}, {-10, -10, -10});
  const CropBox b = crop_from_world(in, {-5.1, 0, -10}, {0.1, -4.9, 100});
  EXPECT_EQ(b.first[0], 10);  // x: -5.1..0.1 mm -> index 9.8..20.2 -> 10..20
  EXPECT_EQ(b.size[0], 11);
  EXPECT_EQ(b.first[1], 11);  // y: -4.9..0 -> 10.2..20 -> 11..20
  EXPECT_EQ(b.size[1], 10);
  EXPECT_EQ(b.first[2], 0);   // z clipped to the volume
  EXPECT_EQ(b.size[2], 40);
}

TEST(Target, RotationPermutationAndFlipTakeTheGeneralPath) {
  const InputGeometry in = geometry({20, 20, 20}, {1, 1, 1}, {0, 0, 0});
  Mat4 swap_xz{};
  swap_xz[0][2] = swap_xz[1][1] = swap_xz[2][0] = swap_xz[3][3] = 1;
  Mat4 flip = identity4();
  flip[1][1] = -1;
  flip[1][3] = 19;
  Mat4 rot = identity4();
  rot[0][0] = rot[1][1] = std::cos(0.05);
  rot[0][1] = -std::sin(0.05);
  rot[1][0] = std::sin(0.05);
  Mat4 shift = identity4();
  shift[0][3] = 2.25;
  for (const auto& [w, separable] : {std::pair{swap_xz, false}, {flip, false}, {rot, false}, {shift, true}}) {
    TargetRequest req;
    req.world = w;
    const TargetPlan t = plan_target(in, req);
    EXPECT_EQ(t.separable, separable) << t.why;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) EXPECT_NEAR(t.voxel_map[r][c], w[r][c], 1e-12);  // A = I: V = W
  }
}

TEST(Target, InvertIsAnInverseAndRefusesSingular) {
  Mat4 m = identity4();
  m[0][0] = 0.3;
  m[0][1] = 0.2;
  m[1][0] = -0.4;
  m[2][3] = 5;
  const Mat4 p = multiply(m, invert(m, "m"));
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(p[r][c], r == c ? 1.0 : 0.0, 1e-14);
  Mat4 s = identity4();
  s[2][2] = 0;
  EXPECT_THROW(invert(s, "s"), Error);
}

// The coefficient tables against a direct whole-line prefilter.
TEST(CoefficientTable, EqualsTheRecursivePrefilterOnTheExtendedLine) {
  const std::int64_t n = 40;
  std::vector<double> x(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = std::sin(0.37 * static_cast<double>(i)) + 0.01 * static_cast<double>(i * i % 7);
  AxisMap ax;
  ax.n = n;
  ax.m = n;
  const AxisTable<double> t = build_coefficient_table<double>(ax, cubic_kernel(), Boundary::mirror);
  ASSERT_EQ(t.m, n + 4);
  // Mirror-extended coefficients by the recursive filter on a long period.
  const double z = spline_pole(3);
  const std::int64_t period = 2 * n - 2, reps = 20;
  std::vector<double> line(static_cast<std::size_t>(period * reps));
  for (std::size_t i = 0; i < line.size(); ++i)
    line[i] = 6 * x[static_cast<std::size_t>(extend_index(static_cast<std::int64_t>(i), 0, n - 1, Extension::mirror))];
  std::vector<double> cp(line.size()), cm(line.size());
  cp[0] = line[0];
  for (std::size_t i = 1; i < line.size(); ++i) cp[i] = line[i] + z * cp[i - 1];
  cm[line.size() - 1] = cp[line.size() - 1];
  for (std::size_t i = line.size() - 1; i-- > 0;) cm[i] = z * (cm[i + 1] - cp[i]);
  const std::int64_t mid = period * (reps / 2);  // far from both ends: exact to rounding
  for (std::int64_t j = 0; j < t.m; ++j) {
    double c = 0;
    for (int k = 0; k < t.ntap[static_cast<std::size_t>(j)]; ++k) c += t.weights(j)[k] * x[static_cast<std::size_t>(t.taps(j)[k])];
    const double expect = cm[static_cast<std::size_t>(mid + j - 2)];
    EXPECT_NEAR(c, expect, 2e-6) << "coefficient " << j - 2;
  }
}

TEST(CoefficientTable, LinearMarginFollowsTheBoundaryRule) {
  AxisMap ax;
  ax.n = 5;
  ax.m = 5;
  for (Boundary b : {Boundary::nearest, Boundary::mirror, Boundary::reflect, Boundary::constant}) {
    const AxisTable<float> t = build_coefficient_table<float>(ax, linear_kernel(), b);
    ASSERT_EQ(t.m, 7);
    // Coefficient -1 (j = 0) and 5 (j = 6).
    switch (b) {
      case Boundary::nearest: EXPECT_EQ(t.taps(0)[0], 0); EXPECT_EQ(t.taps(6)[0], 4); break;
      case Boundary::mirror: EXPECT_EQ(t.taps(0)[0], 1); EXPECT_EQ(t.taps(6)[0], 3); break;
      case Boundary::reflect: EXPECT_EQ(t.taps(0)[0], 0); EXPECT_EQ(t.taps(6)[0], 4); break;
      case Boundary::constant:
        EXPECT_EQ(t.ntap[0], 0);
        EXPECT_EQ(t.coverage[0], 0.0f);
        break;
    }
    for (std::int64_t j = 1; j <= 5; ++j) EXPECT_EQ(t.taps(j)[0], j - 1);
  }
}

}  // namespace
}  // namespace respace
