// SPDX-License-Identifier: MIT
// io/byte_size: the one byte formatter and the --memory-limit reader.
#include "io/byte_size.hpp"

#include <gtest/gtest.h>

#include "io/error.hpp"

namespace respace {
namespace {

TEST(ByteSize, ParsesSizes) {
  EXPECT_EQ(parse_size("256M"), std::uint64_t{256} << 20);
  EXPECT_EQ(parse_size("2G"), std::uint64_t{2} << 30);
  EXPECT_EQ(parse_size("1.5GiB"), std::uint64_t{3} << 29);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("512MB"), std::uint64_t{512} << 20);
  EXPECT_THROW(parse_size("lots"), Error);
  EXPECT_THROW(parse_size("-1G"), Error);
  EXPECT_THROW(parse_size("3X"), Error);
}

TEST(ByteSize, FormatsInPowersOf1024) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(std::uint64_t{96} << 20), "96.0 MiB");
  EXPECT_EQ(format_bytes(std::uint64_t{3} << 30), "3.00 GiB");
  // What it prints reads back (without the space) as the same size.
  for (std::uint64_t b : {std::uint64_t{1536}, std::uint64_t{96} << 20, std::uint64_t{3} << 30}) {
    std::string text = format_bytes(b);
    text.erase(text.find(' '), 1);
    EXPECT_EQ(parse_size(text), b) << text;
  }
}

}  // namespace
}  // namespace respace
