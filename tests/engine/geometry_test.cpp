// SPDX-License-Identifier: MIT
// The output grid of SPEC §2, against sizes, origins and affines computed by
// hand.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/geometry.hpp"
#include "io/error.hpp"

namespace respace {
namespace {

InputGeometry diag_geometry(std::array<std::int64_t, 3> n, double s, std::array<double, 3> origin = {0, 0, 0}) {
  InputGeometry g;
  g.n = n;
  g.primary = identity4();
  for (int k = 0; k < 3; ++k) {
    g.primary[k][k] = s;
    g.primary[k][3] = origin[k];
    g.pixdim[k] = s;
  }
  g.sform = g.qform = g.primary;
  g.has_sform = g.has_qform = true;
  return g;
}

GridRequest spacing_request(double x, double y, double z, std::optional<GridPolicy> p = std::nullopt) {
  GridRequest r;
  r.spacing = {x, y, z};
  r.policy = p;
  return r;
}

TEST(OutputSize, SnapsFloatNoiseAndRoundsHalvesUp) {
  EXPECT_EQ(output_size(1000, 0.1, 0.15), 667);
  EXPECT_EQ(output_size(1200, 0.1, 0.15), 800);
  // The header's float32 0.1 must not turn 800 into 801 (or 799).
  EXPECT_EQ(output_size(1200, static_cast<double>(0.1f), 0.15), 800);
  EXPECT_EQ(output_size(5, 1.0, 2.0), 3);   // 2.5 rounds up
  EXPECT_EQ(output_size(7, 1.0, 2.0), 4);   // 3.5 rounds up
  EXPECT_EQ(output_size(1, 1.0, 100.0), 1); // never below 1
}

TEST(PlanGrid, EachPolicyByHand) {
  // n = 10 voxels of 1 mm to 2 mm: m = 5.
  const InputGeometry in = diag_geometry({10, 10, 10}, 1.0, {10, 20, 30});
  struct Case { GridPolicy p; double r, a; };
  for (Case c : {Case{GridPolicy::center, 2.0, 0.5}, Case{GridPolicy::origin, 2.0, 0.0},
                 Case{GridPolicy::fov, 2.0, 0.5}, Case{GridPolicy::corners, 9.0 / 4.0, 0.0}}) {
    SCOPED_TRACE(to_string(c.p));
    const GridPlan g = plan_grid(in, spacing_request(2, 2, 2, c.p));
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(g.axis[k].m, 5);
      EXPECT_DOUBLE_EQ(g.axis[k].r, c.r);
      EXPECT_DOUBLE_EQ(g.axis[k].a, c.a);
      EXPECT_DOUBLE_EQ(g.primary_out[k][k], c.r);
      EXPECT_DOUBLE_EQ(g.primary_out[k][3], in.primary[k][3] + c.a);
      EXPECT_DOUBLE_EQ(g.origin_shift_mm[k], c.a);
    }
  }
}

TEST(PlanGrid, ThousandsOfSlicesAtPointOneToPointOneFive) {
  const InputGeometry in = diag_geometry({1400, 1550, 1000}, 0.1);
  GridPlan g = plan_grid(in, spacing_request(0.15, 0.15, 0.15));
  EXPECT_EQ(g.axis[2].m, 667);
  EXPECT_EQ(g.axis[0].m, 933);   // 933.33
  EXPECT_EQ(g.axis[1].m, 1033);  // 1033.33
  // center: a = (n-1)/2 - (m-1)/2 * 1.5 = 499.5 - 333 * 1.5 = 0
  EXPECT_NEAR(g.axis[2].a, 0.0, 1e-9);

  const InputGeometry in2 = diag_geometry({64, 64, 1200}, 0.1);
  g = plan_grid(in2, spacing_request(0.1, 0.1, 0.15));
  EXPECT_EQ(g.axis[2].m, 800);
  EXPECT_NEAR(g.axis[2].a, 599.5 - 399.5 * 1.5, 1e-9);  // 0.25 voxel
  EXPECT_NEAR(g.origin_shift_mm[2], 0.025, 1e-9);
  g = plan_grid(in2, spacing_request(0.1, 0.1, 0.15, GridPolicy::fov));
  EXPECT_DOUBLE_EQ(g.axis[2].r, 1.5);
  EXPECT_DOUBLE_EQ(g.axis[2].a, 0.25);
  g = plan_grid(in2, spacing_request(0.1, 0.1, 0.15, GridPolicy::corners));
  EXPECT_DOUBLE_EQ(g.axis[2].r, 1199.0 / 799.0);
  EXPECT_DOUBLE_EQ(g.axis[2].a, 0.0);
}

TEST(PlanGrid, UnchangedAxesAreBitIdentical) {
  // A float32 header spacing and a typed target that differ by float noise.
  const double s = static_cast<double>(0.1f);
  InputGeometry in = diag_geometry({100, 90, 80}, s, {-3.25, 7.5, 1.125});
  const GridPlan g = plan_grid(in, spacing_request(0.1, 0.1, 0.15));
  for (int k = 0; k < 2; ++k) {
    EXPECT_TRUE(g.axis[k].identity());
    for (int r = 0; r < 4; ++r) EXPECT_EQ(g.primary_out[r][k], in.primary[r][k]);
    EXPECT_EQ(g.pixdim_out[k], in.pixdim[k]);
  }
  EXPECT_FALSE(g.axis[2].identity());
}

// A rotation by Euler angles, scaled per column, with a flip on y.
Mat4 oblique(double sx, double sy, double sz) {
  const double a = 0.3, b = -0.2, c = 0.7;
  const double Rx[3][3] = {{1, 0, 0}, {0, std::cos(a), -std::sin(a)}, {0, std::sin(a), std::cos(a)}};
  const double Ry[3][3] = {{std::cos(b), 0, std::sin(b)}, {0, 1, 0}, {-std::sin(b), 0, std::cos(b)}};
  const double Rz[3][3] = {{std::cos(c), -std::sin(c), 0}, {std::sin(c), std::cos(c), 0}, {0, 0, 1}};
  Mat4 m = identity4();
  const double s[3] = {sx, -sy, sz};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double v = 0;
      for (int k = 0; k < 3; ++k)
        for (int l = 0; l < 3; ++l) v += Rz[i][k] * Ry[k][l] * Rx[l][j];
      m[i][j] = v * s[j];
    }
  m[0][3] = 12.5;
  m[1][3] = -40.25;
  m[2][3] = 3.0;
  return m;
}

TEST(PlanGrid, ObliqueAndFlippedAffinesKeepTheirRotation) {
  InputGeometry in;
  in.n = {50, 60, 70};
  in.primary = in.sform = oblique(0.1, 0.2, 0.3);
  in.has_sform = true;
  in.qform = oblique(0.1, 0.2, 0.3);
  in.qform[0][3] += 1.0;  // a qform that disagrees with the sform keeps disagreeing
  in.has_qform = true;
  in.pixdim = {0.1, 0.2, 0.3};
  const GridPlan g = plan_grid(in, spacing_request(0.15, 0.1, 0.45));
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(column_norm(g.primary_out, k), g.axis[k].spacing_out, 1e-12);
    for (int r = 0; r < 3; ++r) {
      // Direction cosines unchanged, sign (flip) included.
      EXPECT_NEAR(g.primary_out[r][k] / g.axis[k].spacing_out, in.primary[r][k] / g.axis[k].spacing_in, 1e-12);
      EXPECT_NEAR(g.qform_out[r][k], g.sform_out[r][k], 1e-12);
    }
  }
  for (int r = 0; r < 3; ++r) {
    double shift = 0;
    for (int k = 0; k < 3; ++k) shift += in.primary[r][k] * g.axis[k].a;
    EXPECT_NEAR(g.sform_out[r][3], in.sform[r][3] + shift, 1e-12);
    EXPECT_NEAR(g.qform_out[r][3], in.qform[r][3] + shift, 1e-12);
  }
  EXPECT_NEAR(g.qform_out[0][3] - g.sform_out[0][3], 1.0, 1e-12);
}

TEST(PlanGrid, SizeImpliesFovAndCornersNeedsTwoVoxels) {
  const InputGeometry in = diag_geometry({10, 20, 30}, 1.0);
  GridRequest r;
  r.size = std::array<std::int64_t, 3>{5, 40, 30};
  GridPlan g = plan_grid(in, r);
  EXPECT_EQ(g.policy, GridPolicy::fov);
  EXPECT_DOUBLE_EQ(g.axis[0].r, 2.0);
  EXPECT_DOUBLE_EQ(g.axis[1].r, 0.5);
  EXPECT_DOUBLE_EQ(g.axis[1].a, -0.25);
  EXPECT_TRUE(g.axis[2].identity());
  r.size = std::array<std::int64_t, 3>{1, 20, 30};
  r.policy = GridPolicy::corners;
  EXPECT_THROW(plan_grid(in, r), Error);
}

TEST(OutputSize, ThePeersRoundingRules) {
  // scipy's zoom: round(n * (s / t)), halves to even (Python's round()).
  EXPECT_EQ(output_size(73, 0.5, 1.0, SizeRounding::half_even), 36);
  EXPECT_EQ(output_size(75, 0.5, 1.0, SizeRounding::half_even), 38);
  EXPECT_EQ(output_size(73, 0.5, 1.0, SizeRounding::half_up), 37);
  // ITK's recipe: round(n s / t + 0.5), one voxel more unless just below a half.
  EXPECT_EQ(output_size(130, 0.791, 2.0, SizeRounding::itk), 52);  // 51.4 -> 52 (half-up: 51)
  EXPECT_EQ(output_size(130, 0.791, 2.0, SizeRounding::half_up), 51);
  EXPECT_EQ(output_size(98, 1.0, 2.0, SizeRounding::itk), 50);     // 49 -> round(49.5) = 50
  EXPECT_EQ(output_size(100, 1.0, 0.5, SizeRounding::itk), 201);
  EXPECT_EQ(output_size(3, 1.0, 10.0, SizeRounding::half_even), 1) << "never below 1";
}

TEST(PlanGrid, ASizeWithASpacingKeepsTheSpacing) {
  const InputGeometry in = diag_geometry({10, 20, 30}, 1.0, {5, 6, 7});
  GridRequest r = spacing_request(2, 1, 0.5, GridPolicy::origin);
  r.size = std::array<std::int64_t, 3>{6, 19, 61};
  GridPlan g = plan_grid(in, r);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(g.axis[k].m, (*r.size)[k]);
    EXPECT_EQ(g.axis[k].a, 0.0);
  }
  EXPECT_DOUBLE_EQ(g.axis[0].r, 2.0);
  EXPECT_DOUBLE_EQ(g.axis[1].r, 1.0);
  EXPECT_DOUBLE_EQ(g.axis[2].r, 0.5);
  EXPECT_EQ(g.origin_shift_mm, (std::array<double, 3>{0, 0, 0}));
  r.policy.reset();  // the default with both: center
  g = plan_grid(in, r);
  EXPECT_EQ(g.policy, GridPolicy::center);
  EXPECT_DOUBLE_EQ(g.axis[0].a, 4.5 - 2.5 * 2.0);
  r.policy = GridPolicy::fov;
  EXPECT_THROW(plan_grid(in, r), Error);
  r.policy = GridPolicy::corners;
  EXPECT_THROW(plan_grid(in, r), Error);
}

TEST(PlanGrid, TheRequestedSpacingInTheHeaderOnly) {
  // resample_nifti.py: zoom's corner grid samples at (n-1)/(m-1), the header
  // says the spacing asked for.
  const InputGeometry in = diag_geometry({73, 10, 10}, 0.1, {-3, 0, 0});
  GridRequest r = spacing_request(0.2, 0.1, 0.1, GridPolicy::corners);
  r.rounding = SizeRounding::half_even;
  r.header = HeaderSpacing::requested;
  const GridPlan g = plan_grid(in, r);
  EXPECT_EQ(g.axis[0].m, 36);
  EXPECT_DOUBLE_EQ(g.M[0][0], 72.0 / 35.0) << "sampled on the corner grid";
  EXPECT_TRUE(g.header_requested);
  EXPECT_NEAR(g.primary_out[0][0], 0.2, 1e-15);
  EXPECT_DOUBLE_EQ(g.primary_out[0][3], -3.0);
  EXPECT_DOUBLE_EQ(g.pixdim_out[0], 0.2);
  EXPECT_NEAR(g.header_offset_mm[0], 35 * 0.2 - 7.2, 1e-12);
  EXPECT_EQ(g.header_offset_mm[1], 0.0);
  EXPECT_NEAR(g.sform_out[0][0], 0.2, 1e-15);
}

TEST(FieldOfView, TheThreeRules) {
  const FieldOfView closed = field_of_view(FovRule::closed, 4);
  const FieldOfView half = field_of_view(FovRule::half_open, 4);
  const FieldOfView hull = field_of_view(FovRule::hull, 4);
  for (const FieldOfView& f : {closed, half}) {
    EXPECT_TRUE(f.contains(-0.5));
    EXPECT_FALSE(f.contains(-0.5000001));
  }
  EXPECT_TRUE(closed.contains(3.5));
  EXPECT_FALSE(half.contains(3.5)) << "ITK: [-0.5, n-0.5)";
  EXPECT_TRUE(half.contains(3.4999999));
  EXPECT_FALSE(hull.contains(-1e-12));
  EXPECT_TRUE(hull.contains(0.0));
  EXPECT_TRUE(hull.contains(3.0));
  EXPECT_FALSE(hull.contains(3.0 + 1e-12)) << "scipy mode='constant': no interpolation past the last centre";
}

TEST(PlanGrid, RejectsNonPositiveSpacing) {
  const InputGeometry in = diag_geometry({10, 10, 10}, 1.0);
  EXPECT_THROW(plan_grid(in, spacing_request(0, 1, 1)), Error);
  EXPECT_THROW(plan_grid(in, spacing_request(1, -1, 1)), Error);
}

}  // namespace
}  // namespace respace
