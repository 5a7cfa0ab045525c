// SPDX-License-Identifier: MIT
// engine/planner: the one plan, alone, without data. Every path gives one
// memory account whose named buffers add up to what it plans, within the
// limit; the tables are built once and as wide as the kernel; what no path
// runs is refused.
#include "engine/planner.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/memory_limit.hpp"
#include "engine/target.hpp"
#include "io/error.hpp"
#include "tests/engine/kernel_of.hpp"

namespace respace {
namespace {

ResampleRequest request(std::array<std::int64_t, 3> n, const TargetRequest& target, const Kernel& kernel,
                        std::uint64_t limit) {
  InputGeometry g;
  g.n = n;
  const TargetPlan t = plan_target(g, target);
  ResampleRequest q;
  q.setup.grid = t.grid;
  q.setup.kernel = &kernel;
  q.setup.boundary = kernel.default_boundary();
  q.separable = t.separable;
  q.voxel_map = t.voxel_map;
  q.threads = 4;
  q.memory_limit = limit;
  q.gzip_output = true;
  q.deflater_bytes = 300 << 10;
  return q;
}

TargetRequest spacing(double x, double y, double z) {
  TargetRequest t;
  t.grid.spacing = {x, y, z};
  return t;
}

TargetRequest rotation_about_z(double degrees, std::array<std::int64_t, 3> n) {
  TargetRequest t;
  const double c = std::cos(degrees * M_PI / 180), s = std::sin(degrees * M_PI / 180);
  const double cx = static_cast<double>(n[0] - 1) / 2, cy = static_cast<double>(n[1] - 1) / 2;
  t.world = Mat4{{{c, -s, 0, cx - c * cx + s * cy}, {s, c, 0, cy - s * cx - c * cy}, {0, 0, 1, 0}, {0, 0, 0, 1}}};
  return t;
}

std::uint64_t items_total(const MemoryAccount& m) {
  std::uint64_t sum = 0;
  for (const MemoryItem& it : m.items) sum += it.bytes;
  return sum;
}

std::int64_t shape_value(const MemoryAccount& m, const std::string& name) {
  for (const ShapeItem& s : m.shape)
    if (s.name == name) return s.value;
  ADD_FAILURE() << "no shape item " << name;
  return -1;
}

TEST(Planner, SeparableAccountAddsUpWithinTheLimit) {
  for (int order : {0, 1, 3}) {
    const std::uint64_t limit = std::uint64_t{200} << 20;
    const ResamplePlan p = plan_resample(request({400, 380, 300}, spacing(1.5, 1.5, 1.5), kernel_of(order), limit));
    ASSERT_EQ(p.path, ResamplePath::separable);
    EXPECT_EQ(p.memory.limit, limit);
    EXPECT_FALSE(p.memory.raised);
    EXPECT_EQ(items_total(p.memory), p.memory.planned) << "every byte planned is a named buffer";
    EXPECT_LE(p.memory.planned, limit);
    EXPECT_EQ(shape_value(p.memory, "threads"), p.threads);
    EXPECT_EQ(shape_value(p.memory, "block_planes"), p.pass.block);
    EXPECT_EQ(p.memory.items.back().name, "process reserve");
    // The tables, built once, are as wide as the kernel's taps at the zoom.
    EXPECT_EQ(p.tables->z.m, p.setup.grid.axis[2].m);
    EXPECT_LE(p.tables->x.max_taps, kernel_of(order).table_taps(1.0 / 1.5));
    EXPECT_EQ(p.tables->x.max_taps, order == 3 ? 30 : order + 1);
  }
}

TEST(Planner, WhatTheJobHoldsBesidesIsPlannedWithinTheLimit) {
  const std::uint64_t limit = std::uint64_t{64} << 20, held = std::uint64_t{20} << 20;
  ResampleRequest q = request({400, 380, 300}, spacing(1.5, 1.5, 1.5), kernel_of(1), limit);
  q.held.push_back({"qc slices", 6, held});
  const ResamplePlan p = plan_resample(q);
  EXPECT_EQ(p.memory.limit, limit);
  EXPECT_EQ(items_total(p.memory), p.memory.planned);
  EXPECT_LE(p.memory.planned, limit);
  ASSERT_GE(p.memory.items.size(), 2u);
  EXPECT_EQ(p.memory.items[p.memory.items.size() - 2].name, "qc slices");
  EXPECT_EQ(p.memory.items.back().name, "process reserve");
  q.held.back().bytes = limit;  // nothing left to resample in
  EXPECT_THROW(plan_resample(q), Error);
  // Under the default limit the whole process stays within it as well.
  q.memory_limit = 0;
  q.held.back().bytes = held;
  const ResamplePlan d = plan_resample(q);
  EXPECT_FALSE(d.memory.raised);
  EXPECT_LE(d.memory.planned, kDefaultMemoryLimit);
}

TEST(Planner, GeneralRingAccountAddsUp) {
  const std::array<std::int64_t, 3> n{300, 280, 200};
  const ResamplePlan p = plan_resample(request(n, rotation_about_z(4, n), kernel_of(1), std::uint64_t{256} << 20));
  ASSERT_EQ(p.path, ResamplePath::general);
  ASSERT_TRUE(p.general_memory.ring) << p.how;
  EXPECT_EQ(items_total(p.memory), p.memory.planned);
  EXPECT_LE(p.memory.planned, std::uint64_t{256} << 20);
  EXPECT_EQ(shape_value(p.memory, "ring_planes"), p.general_memory.ring_planes);
  EXPECT_NE(p.how.find("ring"), std::string::npos);
  // The coefficient pass's tables: the input axes and the kernel's margins.
  EXPECT_EQ(p.tables->x.m, n[0] + 2 * kernel_of(1).margin());
}

TEST(Planner, GeneralFileAccountPlansTheLargerStage) {
  const std::array<std::int64_t, 3> n{300, 280, 200};
  ResampleRequest q = request(n, rotation_about_z(4, n), kernel_of(3), std::uint64_t{256} << 20);
  q.allow_ring = false;
  const ResamplePlan p = plan_resample(q);
  ASSERT_FALSE(p.general_memory.ring);
  // The two stages never run together: the plan is the larger of them, at
  // most what the named buffers add up to.
  EXPECT_EQ(p.memory.planned, p.general_memory.total() + kProcessReserve);
  EXPECT_LE(p.memory.planned, items_total(p.memory));
  EXPECT_GE(p.memory.planned, p.general_memory.coefficients.total() + kProcessReserve);
  EXPECT_NE(p.how.find("temporary file"), std::string::npos);
}

TEST(Planner, DefaultLimitGrowsForWidePlanesAndAGivenOneIsRefused) {
  // 16000 x 16000 float32 planes: 1 GiB each, more than the default limit.
  const ResamplePlan raised = plan_resample(request({16000, 16000, 4}, spacing(1, 1, 2), kernel_of(1), 0));
  EXPECT_TRUE(raised.memory.raised);
  EXPECT_GT(raised.memory.limit, kDefaultMemoryLimit);
  EXPECT_LE(raised.memory.planned, raised.memory.limit);
  try {
    plan_resample(request({16000, 16000, 4}, spacing(1, 1, 2), kernel_of(1), std::uint64_t{256} << 20));
    FAIL() << "a given limit too small is refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::memory_limit);
    EXPECT_NE(std::string(e.what()).find("--memory-limit"), std::string::npos) << e.what();
  }
}

TEST(Planner, APlaneAlonePastTheLimitIsRefusedBeforeTables) {
  // 4 x 4 x 4 to 1e-5 of its spacing in x and y: output planes of 4e5 x 4e5
  // voxels (640 GB as float32, past any default ceiling), and tables of
  // 4e5 rows (within the default limit) that are never built.
  for (std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{1} << 30}) {
    try {
      plan_resample(request({4, 4, 4}, spacing(1e-5, 1e-5, 1), kernel_of(1), limit));
      FAIL() << "planned";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::memory_limit);
      EXPECT_NE(std::string(e.what()).find("alone needs"), std::string::npos) << e.what();
    }
  }
  // A plane that fits goes on to the tables and the full plan.
  EXPECT_NO_THROW(plan_resample(request({4, 4, 4}, spacing(0.01, 0.01, 1), kernel_of(3), 0)));
}

class VoteKernel final : public Kernel {
public:
  const char* name() const override { return "vote"; }
  std::string describe() const override { return "a vote (test only)"; }
  Combine combine() const override { return Combine::vote; }
  Boundary default_boundary() const override { return Boundary::nearest; }
  int support(double) const override { return 2; }
  void weights(const double*, std::size_t count, double, std::int64_t* first, double* w) const override {
    for (std::size_t i = 0; i < count; ++i) first[i] = 0, w[2 * i] = w[2 * i + 1] = 0.5;
  }
};

TEST(Planner, AVotingKernelTakesTheLabelsPathAndAPrefilteredOneCannotVote) {
  const VoteKernel vote;
  ResampleRequest q = request({20, 20, 20}, spacing(2, 2, 2), vote, 0);
  q.setup.in_datatype = q.setup.out_datatype = DT_UINT16;
  const ResamplePlan p = plan_resample(q);
  EXPECT_EQ(p.path, ResamplePath::labels);
  EXPECT_EQ(items_total(p.memory), p.memory.planned) << "the labels path's account adds up too";
  ResampleRequest cubic = request({20, 20, 20}, spacing(2, 2, 2), kernel_of(3), 0);
  cubic.setup.labels = true;
  try {
    plan_resample(cubic);
    FAIL() << "B-spline weights cannot vote";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("non-negative"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace respace
