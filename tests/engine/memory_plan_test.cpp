// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "engine/memory_plan.hpp"
#include "io/error.hpp"

namespace respace {
namespace {

MemoryRequest request(std::int64_t n, std::int64_t m, double step, std::uint64_t limit) {
  MemoryRequest q;
  q.nx = q.ny = n;
  q.mx = q.my = m;
  for (std::int64_t k = 0; k < m; ++k) {
    const auto lo = static_cast<std::int64_t>(static_cast<double>(k) * step);
    q.z.push_back({true, lo, std::min(n - 1, lo + 1)});
  }
  q.threads = 2;
  q.limit = limit;
  return q;
}

TEST(MemoryPlan, BlockShapeCountsNewAndSpannedPlanes) {
  const MemoryRequest q = request(100, 50, 2.0, 1 << 30);  // output k reads 2k, 2k+1
  BlockShape b = block_shape(q.z, 4);
  EXPECT_EQ(b.new_max, 8);
  EXPECT_EQ(b.span_max, 8);
  b = block_shape(q.z, 1);
  EXPECT_EQ(b.new_max, 2);
}

TEST(MemoryPlan, FitsTheLimitAndShrinksToFit) {
  const std::uint64_t big = std::uint64_t{1} << 34;
  MemoryPlan p = plan_memory(request(1000, 667, 1.5, big));
  EXPECT_EQ(p.tokens, 4);  // 2 x threads
  EXPECT_LE(p.total(), kWorkingSetTarget) << "a large limit is not filled";
  EXPECT_GT(p.total(), kWorkingSetTarget / 2) << "blocks deepen up to the target";
  const std::uint64_t limit = std::uint64_t{96} << 20;
  MemoryPlan q = plan_memory(request(1000, 667, 1.5, limit));
  EXPECT_LE(q.total() + kProcessReserve, limit);
  EXPECT_LT(q.tokens * q.block, p.tokens * p.block);
}

TEST(MemoryPlan, WorkingSetIsFlatAcrossPlaneSizes) {
  // Planes 4x larger (512^2 -> 1024^2), same zoom: the plan's total stays
  // within 10%.
  const MemoryPlan small = plan_memory(request(512, 342, 1.5, std::uint64_t{256} << 20));
  const MemoryPlan large = plan_memory(request(1024, 683, 1.5, std::uint64_t{256} << 20));
  EXPECT_GT(small.block, large.block);
  EXPECT_NEAR(static_cast<double>(large.total()), static_cast<double>(small.total()), 0.1 * static_cast<double>(small.total()));
}

TEST(MemoryPlan, HugePlanesTakeFewerTokensBeforePassingTheTarget) {
  // Whole-brain planes (1400 x 1550 float32, 8.3 MiB) to 0.15 mm: one-plane
  // blocks with 4 tokens pass the working-set target, 3 tokens stay within
  // it, so the plan stays flat against 512^2 planes (bench/README.md).
  MemoryRequest q = request(1400, 933, 1.5, std::uint64_t{256} << 20);
  q.ny = 1550;
  q.my = 1033;
  q.gzip_output = true;
  q.deflater_bytes = std::uint64_t{1} << 20;
  const MemoryPlan p = plan_memory(q);
  EXPECT_EQ(p.block, 1);
  EXPECT_EQ(p.tokens, 3);
  EXPECT_LE(p.total(), kWorkingSetTarget);
  MemoryRequest s = request(512, 342, 1.5, std::uint64_t{256} << 20);
  s.gzip_output = true;
  s.deflater_bytes = q.deflater_bytes;
  const MemoryPlan small = plan_memory(s);
  EXPECT_NEAR(static_cast<double>(p.total()), static_cast<double>(small.total()), 0.1 * static_cast<double>(small.total()));
  // With --memory-limit too tight for even that, the budget still decides.
  q.limit = p.total() + kProcessReserve - (std::uint64_t{4} << 20);
  const MemoryPlan tight = plan_memory(q);
  EXPECT_LE(tight.total() + kProcessReserve, q.limit);
}

TEST(MemoryPlan, TooSmallNamesTheSmallestThatWorks) {
  try {
    plan_memory(request(4000, 4000, 1.0, std::uint64_t{64} << 20));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::memory_limit);
    EXPECT_NE(std::string(e.what()).find("--memory-limit"), std::string::npos);
  }
}


}  // namespace
}  // namespace respace
