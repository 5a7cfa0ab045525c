// SPDX-License-Identifier: MIT
// engine/block_windows: what each block reads, when planes can go, and how
// many are held, on a case worked by hand (a fill plane, and a block that
// reads backwards as a z flip does).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "engine/block_windows.hpp"

namespace respace {
namespace {

TEST(BlockWindows, WorkedByHand) {
  // Output planes 0..4: [0,2], [1,3], fill, [5,6], [2,4]; blocks of 2.
  const std::vector<PlaneRange> planes = {{true, 0, 2}, {true, 1, 3}, {}, {true, 5, 6}, {true, 2, 4}};
  const BlockWindows w = block_windows(planes, 2);
  ASSERT_EQ(w.need.size(), 3u);
  EXPECT_TRUE(w.need[0].any && w.need[0].lo == 0 && w.need[0].hi == 3);
  EXPECT_TRUE(w.need[1].any && w.need[1].lo == 5 && w.need[1].hi == 6);  // the fill plane adds nothing
  EXPECT_TRUE(w.need[2].any && w.need[2].lo == 2 && w.need[2].hi == 4);
  EXPECT_EQ(w.ready, (std::vector<std::int64_t>{4, 7, 7}));
  EXPECT_EQ(w.keep, (std::vector<std::int64_t>{0, 2, 2}));  // block 2 reads back down to plane 2
  EXPECT_EQ(w.new_max, 4);   // block 0: planes 0-3
  EXPECT_EQ(w.span_max, 4);  // block 0 again
  EXPECT_EQ(w.held_max, 5);  // planes 2-6 while blocks 1 and 2 run
}

TEST(BlockWindows, AllFillAndOnePlanePerBlock) {
  const BlockWindows none = block_windows(std::vector<PlaneRange>(3), 1);
  EXPECT_EQ(none.need.size(), 3u);
  EXPECT_EQ(none.ready, (std::vector<std::int64_t>{0, 0, 0}));
  EXPECT_EQ(none.keep, (std::vector<std::int64_t>(3, INT64_MAX)));
  EXPECT_EQ(none.new_max + none.span_max + none.held_max, 0);
  // Identity, one plane per block: each block reads one new plane, holds one.
  const BlockWindows id = block_windows({{true, 0, 0}, {true, 1, 1}, {true, 2, 2}}, 1);
  EXPECT_EQ(id.new_max, 1);
  EXPECT_EQ(id.span_max, 1);
  EXPECT_EQ(id.held_max, 1);
}

TEST(BlockWindows, ShapeAloneMatchesTheFullWindows) {
  // block_shape() is the planner's allocation-free pass: the same new_max and
  // span_max as block_windows(), on ranges that go forward, back (a flip),
  // skip fill planes and repeat (an enlargement).
  std::vector<PlaneRange> planes;
  std::uint32_t r = 12345;
  const auto next = [&r] { return r = r * 1103515245u + 12345u, (r >> 16) % 7; };
  std::int64_t at = 0;
  for (int k = 0; k < 500; ++k) {
    const std::uint32_t what = next();
    if (what == 0) {
      planes.push_back({});
      continue;
    }
    at = k < 300 ? at + (what > 3 ? 1 : 0) : std::max<std::int64_t>(0, at - 1);
    planes.push_back({true, at, at + static_cast<std::int64_t>(next() % 4)});
  }
  for (int block : {1, 2, 3, 4, 7, 16, 64, 1000}) {
    const BlockWindows w = block_windows(planes, block);
    const BlockShape s = block_shape(planes, block);
    EXPECT_EQ(s.new_max, w.new_max) << "block " << block;
    EXPECT_EQ(s.span_max, w.span_max) << "block " << block;
  }
  EXPECT_EQ(block_shape(std::vector<PlaneRange>(5), 2).span_max, 0);
}

}  // namespace
}  // namespace respace
