// SPDX-License-Identifier: MIT
// engine/antialias and its tables: which axes get which filter, the
// Gaussian's weights, the composed rows (sum to 1, as wide as the plan
// says), the footprint mean, and the planner counting the wider halo.
#include "engine/antialias.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "engine/axis_table.hpp"
#include "engine/planner.hpp"
#include "engine/target.hpp"
#include "tests/engine/kernel_of.hpp"

namespace respace {
namespace {

AxisMap shrink(std::int64_t n, double k) {  // --grid fov: m = n / k output voxels
  AxisMap ax;
  ax.n = n;
  ax.m = static_cast<std::int64_t>(std::floor(static_cast<double>(n) / k + 0.5));
  ax.r = static_cast<double>(n) / static_cast<double>(ax.m);
  ax.a = -0.5 + ax.r / 2;
  return ax;
}

TEST(Antialias, WhichAxesGetWhichFilter) {
  EXPECT_EQ(axis_filter(Antialias::automatic, 1.5).kind, AxisFilter::Kind::none);
  EXPECT_EQ(axis_filter(Antialias::automatic, 2.0).kind, AxisFilter::Kind::gauss);
  EXPECT_EQ(axis_filter(Antialias::gauss, 1.5).kind, AxisFilter::Kind::gauss);
  EXPECT_EQ(axis_filter(Antialias::gauss, 1.0).kind, AxisFilter::Kind::none) << "not shrinking";
  EXPECT_EQ(axis_filter(Antialias::gauss, 0.5).kind, AxisFilter::Kind::none);
  EXPECT_EQ(axis_filter(Antialias::box, 3.0).kind, AxisFilter::Kind::box);
  EXPECT_EQ(axis_filter(Antialias::off, 10.0).kind, AxisFilter::Kind::none);
  // sigma = sqrt((k^2 - 1) / (8 ln 2)), radius int(4 sigma + 0.5).
  const AxisFilter f = axis_filter(Antialias::gauss, 10.0);
  EXPECT_NEAR(f.sigma, std::sqrt(99.0 / (8 * std::log(2.0))), 1e-12);
  EXPECT_EQ(f.radius, static_cast<int>(4 * f.sigma + 0.5));
  EXPECT_EQ(f.radius, 17);
  const std::vector<double> g = f.gauss_weights();
  ASSERT_EQ(g.size(), 35u);
  EXPECT_NEAR(std::accumulate(g.begin(), g.end(), 0.0), 1.0, 1e-15);
  EXPECT_NEAR(g[17 + 5] / g[17], std::exp(-12.5 / (f.sigma * f.sigma)), 1e-12);
  // Absurd reductions stay defined (the planner refuses their tables).
  EXPECT_GT(axis_filter(Antialias::gauss, 1e30).radius, 0);
}

TEST(Antialias, GaussRowsSumToOneAndWidenWithK) {
  for (double k : {2.0, 3.7, 10.0, 32.0})
    for (int order : {0, 1, 3}) {
      const AxisMap ax = shrink(640, k);
      const AxisFilter f = axis_filter(Antialias::gauss, k);
      const auto t = build_axis_table<double>(ax, kernel_of(order), Boundary::nearest, f);
      EXPECT_LE(t.max_taps, table_taps(kernel_of(order), f, 1.0 / ax.r));
      int widest = 0;
      for (std::int64_t j = 0; j < t.m; ++j) {
        double s = 0;
        for (int q = 0; q < t.ntap[static_cast<std::size_t>(j)]; ++q) s += t.weights(j)[q];
        EXPECT_NEAR(s, 1.0, 1e-9) << "k " << k << " order " << order << " j " << j;
        widest = std::max(widest, t.ntap[static_cast<std::size_t>(j)]);
      }
      EXPECT_GE(widest, 2 * f.radius + 1) << "k " << k;
    }
}

TEST(Antialias, BoxIsTheBlockMeanOfAnIntegerFactor) {
  const AxisMap ax = shrink(12, 3);  // 4 outputs, each the mean of 3 voxels
  const auto t = build_axis_table<double>(ax, linear_kernel(), Boundary::nearest, axis_filter(Antialias::box, 3));
  ASSERT_EQ(t.m, 4);
  for (std::int64_t j = 0; j < 4; ++j) {
    ASSERT_EQ(t.ntap[static_cast<std::size_t>(j)], 3);
    for (int q = 0; q < 3; ++q) {
      EXPECT_EQ(t.taps(j)[q], 3 * j + q);
      EXPECT_NEAR(t.weights(j)[q], 1.0 / 3, 1e-15);
    }
  }
  // A fractional factor: partly covered voxels count by the part covered.
  const AxisMap f = shrink(10, 2.5);  // 4 outputs of 2.5 voxels
  const auto b = build_axis_table<double>(f, linear_kernel(), Boundary::nearest, axis_filter(Antialias::box, 2.5));
  ASSERT_EQ(b.ntap[1], 3);  // [2.0, 4.5]: half of voxel 2, all of 3, all of 4
  EXPECT_EQ(b.taps(1)[0], 2);
  EXPECT_NEAR(b.weights(1)[0], 0.5 / 2.5, 1e-15);
  EXPECT_NEAR(b.weights(1)[1], 1.0 / 2.5, 1e-15);
  EXPECT_NEAR(b.weights(1)[2], 1.0 / 2.5, 1e-15);
}

TEST(Antialias, ConstantBoundaryKeepsTheFillWeight) {
  const AxisMap ax = shrink(40, 4);
  const auto t = build_axis_table<double>(ax, linear_kernel(), Boundary::constant, axis_filter(Antialias::gauss, 4));
  EXPECT_FALSE(t.full_coverage);
  for (std::int64_t j = 0; j < t.m; ++j) {
    double s = 0;
    for (int q = 0; q < t.ntap[static_cast<std::size_t>(j)]; ++q) s += t.weights(j)[q];
    EXPECT_NEAR(s, t.coverage[static_cast<std::size_t>(j)], 1e-12) << j;
  }
  EXPECT_LT(t.coverage[0], 1.0) << "the edge's Gaussian reaches the fill";
  EXPECT_EQ(t.coverage[5], 1.0) << "the middle's does not";
}

TEST(Antialias, PlannerCountsTheHaloAndRefusesBoxOnTheGeneralPath) {
  InputGeometry g;
  g.n = {256, 256, 1024};
  std::int64_t held[2] = {0, 0};
  int i = 0;
  for (double k : {2.0, 16.0}) {
    TargetRequest t;
    t.grid.spacing = {1, 1, k};
    const TargetPlan tp = plan_target(g, t);
    ResampleRequest q;
    q.setup.grid = tp.grid;
    q.threads = 2;
    const ResamplePlan p = plan_resample(q);
    EXPECT_EQ(p.setup.filter[2].kind, AxisFilter::Kind::gauss);
    EXPECT_EQ(p.setup.filter[0].kind, AxisFilter::Kind::none);
    EXPECT_EQ(p.tables->z.max_taps, std::min<std::int64_t>(2 + 2 * p.setup.filter[2].radius, 1024));
    EXPECT_LE(p.memory.planned, p.memory.limit);
    held[i++] = p.pass.shape.span_max;
  }
  EXPECT_GT(held[1], held[0]) << "a wider Gaussian holds more input planes per block";

  g.n = {64, 64, 64};
  TargetRequest t;
  t.grid.spacing = {3, 3, 3};
  const double c = std::cos(0.3), s = std::sin(0.3);
  t.world = Mat4{{{c, -s, 0, 0}, {s, c, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}};
  const TargetPlan tp = plan_target(g, t);
  ASSERT_FALSE(tp.separable);
  ResampleRequest q;
  q.setup.grid = tp.grid;
  q.separable = false;
  q.voxel_map = tp.voxel_map;
  q.antialias = Antialias::box;
  EXPECT_THROW(plan_resample(q), Error);
  q.antialias = Antialias::automatic;
  const ResamplePlan p = plan_resample(q);
  for (const AxisFilter& f : p.setup.filter) EXPECT_NEAR(f.k, 3.0, 1e-9);  // a rotation keeps the extent
}

}  // namespace
}  // namespace respace
