// SPDX-License-Identifier: MIT
// io/byte_source: gzip and raw sources, after pigz's `make test` edge cases: offsets across
// refills, several and empty members, truncation, corruption, trailing garbage.
#include <fcntl.h>
#include <sys/wait.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/byte_source.hpp"
#include "io/error.hpp"
#include "io_fixture.hpp"

namespace respace {
namespace {

using namespace io_test;
namespace fs = std::filesystem;

class GzipSourceEngines : public ::testing::TestWithParam<GzipEngine> {
protected:
  void SetUp() override {
    if (GetParam() == GzipEngine::isal && !have_isal()) GTEST_SKIP() << "built without ISA-L";
  }
};

TEST_P(GzipSourceEngines, ReadsWithOffsetAcrossBufferRefills) {
  TempDir d;
  const auto data = pattern(3 * kReadBuffer + 12345);
  write_file(d.file("a.gz"), gzip_bytes(data, 1));
  auto src = open_byte_source(d.file("a.gz"), 1000, GetParam());
  EXPECT_TRUE(src->is_gzip());
  const auto got = read_all(*src, data.size() - 1000);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), data.begin() + 1000));
}

// Found by fuzz_header: a stream that fails while skipping to the data
// offset must not leak the inflate state (the sanitizer build checks leaks).
TEST_P(GzipSourceEngines, FailingWhileSkippingToTheOffsetLeaksNothing) {
  TempDir d;
  const auto gz = gzip_bytes(pattern(5000));
  write_file(d.file("short.gz"), std::vector<unsigned char>(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)));
  EXPECT_THROW(open_byte_source(d.file("short.gz"), 4000, GetParam()), Error);
  auto bad = gz;
  bad[12] ^= 0xff;
  bad[13] ^= 0xff;
  write_file(d.file("bad.gz"), bad);
  EXPECT_THROW(open_byte_source(d.file("bad.gz"), 4000, GetParam()), Error);
}

TEST_P(GzipSourceEngines, SeveralMembersReadAsOneStream) {
  TempDir d;
  const auto a = pattern(70000, 1), b = pattern(5, 2), c = pattern(90000, 3);
  auto bytes = gzip_bytes(a);
  for (const auto* part : {&b, &c}) {
    auto g = gzip_bytes(*part);
    bytes.insert(bytes.end(), g.begin(), g.end());
  }
  write_file(d.file("m.gz"), bytes);
  auto src = open_byte_source(d.file("m.gz"), 0, GetParam());
  auto all = a;
  all.insert(all.end(), b.begin(), b.end());
  all.insert(all.end(), c.begin(), c.end());
  EXPECT_TRUE(read_all(*src, all.size()) == all);
}

TEST_P(GzipSourceEngines, EmptyMemberBetweenMembers) {
  TempDir d;
  const auto a = pattern(100), e = std::vector<unsigned char>{};
  auto bytes = gzip_bytes(a);
  auto empty = gzip_bytes(e);
  bytes.insert(bytes.end(), empty.begin(), empty.end());
  auto again = gzip_bytes(a);
  bytes.insert(bytes.end(), again.begin(), again.end());
  write_file(d.file("e.gz"), bytes);
  auto src = open_byte_source(d.file("e.gz"), 0, GetParam());
  auto want = a;
  want.insert(want.end(), a.begin(), a.end());
  EXPECT_TRUE(read_all(*src, 200) == want) << "the members on both sides of the empty one, in order";
}


TEST_P(GzipSourceEngines, TruncatedCorruptAndTrailingGarbageAreErrors) {
  TempDir d;
  const auto data = pattern(200000);
  const auto gz = gzip_bytes(data);
  write_file(d.file("trunc.gz"), std::vector<unsigned char>(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)));
  expect_bad_input(d.file("trunc.gz"), data.size(), "truncated", GetParam());
  // Cut inside the 8-byte trailer: all data arrives, the CRC does not.
  write_file(d.file("trailer.gz"), std::vector<unsigned char>(gz.begin(), gz.end() - 3));
  expect_bad_input(d.file("trailer.gz"), data.size(), "truncated", GetParam());
  auto bad = gz;
  bad[bad.size() / 2] ^= 0x55;
  bad[bad.size() / 2 + 1] ^= 0xAA;
  write_file(d.file("corrupt.gz"), bad);
  expect_bad_input(d.file("corrupt.gz"), data.size(), "gzip", GetParam());
  auto junk = gz;
  for (unsigned char c : {'j', 'u', 'n', 'k'}) junk.push_back(c);
  write_file(d.file("junk.gz"), junk);
  expect_bad_input(d.file("junk.gz"), data.size(), "trailing garbage", GetParam());
  // The stream is shorter than the header promised.
  write_file(d.file("short.gz"), gz);
  expect_bad_input(d.file("short.gz"), data.size() + 1, "truncated", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Engines, GzipSourceEngines, ::testing::Values(GzipEngine::zlib, GzipEngine::isal),
                         [](const ::testing::TestParamInfo<GzipEngine>& i) { return std::string(to_string(i.param)); });

TEST(RawSource, TinyAndTruncatedFiles) {
  TempDir d;
  for (std::size_t n : {0u, 1u, 2u, 3u}) {
    write_file(d.file("tiny"), pattern(n));
    auto src = open_byte_source(d.file("tiny"), 0);
    EXPECT_FALSE(src->is_gzip());
    std::vector<unsigned char> v(n);
    src->read_exact(v.data(), n);
    expect_bad_input(d.file("tiny"), n + 1, "truncated");
  }
  expect_bad_input(d.file("missing"), 1, "cannot open");
}

}  // namespace
}  // namespace respace
