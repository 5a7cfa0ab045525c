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
