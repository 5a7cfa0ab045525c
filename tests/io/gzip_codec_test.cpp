// SPDX-License-Identifier: MIT
// io/gzip_codec: CRC joining, levels, the default engine profile.
#include <fcntl.h>
#include <sys/wait.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/gzip_codec.hpp"
#include "io_fixture.hpp"

namespace respace {
namespace {

using namespace io_test;
namespace fs = std::filesystem;

TEST(GzipCodec, CrcJoinAndLevels) {
  const auto a = pattern(1000, 1), b = pattern(777, 2);
  auto ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  const std::uint32_t ca = crc32_update(0, a.data(), a.size()), cb = crc32_update(0, b.data(), b.size());
  EXPECT_EQ(crc32_join(ca, cb, b.size()), crc32_update(0, ab.data(), ab.size()));
  EXPECT_EQ(crc32_join(ca, 0, 0), ca);  // an empty piece changes nothing
  EXPECT_EQ(crc32_update(0, reinterpret_cast<const unsigned char*>("123456789"), 9), 0xCBF43926u);
  EXPECT_EQ(engine_level(GzipEngine::isal, 1), 1);
  EXPECT_EQ(engine_level(GzipEngine::isal, 6), 3);
  EXPECT_EQ(engine_level(GzipEngine::zlib, 6), 6);
}

TEST(GzipCodec, DefaultProfile) {
  // bench/gzip_engines.sh's picks: ISA-L 1 for floats, libdeflate 2 for
  // integers, zlib 2 where neither is built; the input by ISA-L when built.
  const GzipChoice ints = choose_gzip(std::nullopt, std::nullopt, false);
  EXPECT_EQ(ints.engine, have_libdeflate() ? GzipEngine::libdeflate : GzipEngine::zlib);
  EXPECT_EQ(ints.level, 2);
  EXPECT_EQ(ints.input, default_gzip_engine());
  const GzipChoice floats = choose_gzip(std::nullopt, std::nullopt, true);
  EXPECT_EQ(floats.engine, have_isal() ? GzipEngine::isal : have_libdeflate() ? GzipEngine::libdeflate : GzipEngine::zlib);
  EXPECT_EQ(floats.level, have_isal() ? 1 : 2);
  const GzipChoice named = choose_gzip(GzipEngine::zlib, std::nullopt, true);
  EXPECT_EQ(named.engine, GzipEngine::zlib);
  EXPECT_EQ(named.level, 6);
  EXPECT_EQ(named.input, GzipEngine::zlib) << "an engine named by the user also inflates";
  const GzipChoice whole = choose_gzip(GzipEngine::libdeflate, std::nullopt, false);
  EXPECT_EQ(whole.engine, GzipEngine::libdeflate);
  EXPECT_EQ(whole.input, default_gzip_engine()) << "libdeflate cannot inflate a stream";
  EXPECT_EQ(choose_gzip(std::nullopt, 9, false).level, 9);
  EXPECT_EQ(engine_level(GzipEngine::libdeflate, 4), 4);
  EXPECT_EQ(parse_gzip_engine("libdeflate"), GzipEngine::libdeflate);
  EXPECT_FALSE(parse_gzip_engine("pigz"));
}

}  // namespace
}  // namespace respace
