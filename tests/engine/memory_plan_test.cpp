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
  BlockShape b = measure_blocks(q.z, 4);
  EXPECT_EQ(b.new_max, 8);
  EXPECT_EQ(b.span_max, 8);
  b = measure_blocks(q.z, 1);
  EXPECT_EQ(b.new_max, 2);
}

TEST(MemoryPlan, FitsTheLimitAndShrinksToFit) {
  const std::uint64_t big = std::uint64_t{1} << 34;
  MemoryPlan p = plan_memory(request(1000, 667, 1.5, big));
  EXPECT_EQ(p.tokens, 4);
  EXPECT_EQ(p.block, 8);
  const std::uint64_t limit = std::uint64_t{128} << 20;
  p = plan_memory(request(1000, 667, 1.5, limit));
  EXPECT_LE(p.total() + kProcessReserve, limit);
  EXPECT_LT(p.tokens * p.block, 32);
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

TEST(MemoryPlan, ParsesSizes) {
  EXPECT_EQ(parse_size("256M"), std::uint64_t{256} << 20);
  EXPECT_EQ(parse_size("2G"), std::uint64_t{2} << 30);
  EXPECT_EQ(parse_size("1.5GiB"), std::uint64_t{3} << 29);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("512MB"), std::uint64_t{512} << 20);
  EXPECT_THROW(parse_size("lots"), Error);
  EXPECT_THROW(parse_size("-1G"), Error);
  EXPECT_THROW(parse_size("3X"), Error);
}

}  // namespace
}  // namespace respace
