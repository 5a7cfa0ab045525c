// SPDX-License-Identifier: MIT
// io/gzip_index.hpp: a source opened at any offset through the index reads
// the same bytes as the plain source (zlib, inflating from the start), on
// one member and on several; an index of another file, a corrupt one and a
// missing one are told apart.
#include "io/gzip_index.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "io/error.hpp"

namespace respace {
namespace {

namespace fs = std::filesystem;

// Data that compresses into many blocks, and not much: runs of text and of
// noise (the file stays large, so where a reader starts shows).
std::vector<unsigned char> data_of(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<unsigned char> d(n);
  for (std::size_t i = 0; i < n; ++i)
    d[i] = (i / 4096) % 3 != 0 ? static_cast<unsigned char>(rng()) : static_cast<unsigned char>('a' + i % 23);
  return d;
}

// One gzip member of `d` at `level`.
std::string gzip_member(const unsigned char* d, std::size_t n, int level) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, static_cast<uLong>(n)) + 64, '\0');
  s.next_in = const_cast<unsigned char*>(d);
  s.avail_in = static_cast<uInt>(n);
  s.next_out = reinterpret_cast<unsigned char*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

class GzipIndexTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/respace-gzi-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& n) const { return (dir_ / n).string(); }
  // `members` members, together `data`.
  void write_gz(const std::string& path, const std::vector<unsigned char>& data, int members) {
    std::ofstream f(path, std::ios::binary);
    const std::size_t step = data.size() / static_cast<std::size_t>(members);
    for (int m = 0; m < members; ++m) {
      const std::size_t a = static_cast<std::size_t>(m) * step, b = m + 1 == members ? data.size() : a + step;
      f << gzip_member(data.data() + a, b - a, m % 2 ? 1 : 6);
    }
  }
  std::vector<unsigned char> read(ByteSource& s, std::size_t n) {
    std::vector<unsigned char> v(n);
    s.read_exact(v.data(), n);
    return v;
  }
  fs::path dir_;
};

TEST_F(GzipIndexTest, IndexedReadsEqualThePlainOnesAtAnyOffset) {
  const std::vector<unsigned char> data = data_of(std::size_t{9} << 20, 1);
  for (int members : {1, 4}) {
    const std::string gz = file("d" + std::to_string(members) + ".gz");
    write_gz(gz, data, members);
    const GzipIndex index = build_gzip_index(gz, std::uint64_t{1} << 20);
    EXPECT_EQ(index.total_out, data.size());
    EXPECT_GE(index.points.size(), 6u) << members;
    EXPECT_LE(index.points.size(), 12u) << members;
    const std::string path = default_index_path(gz);
    write_gzip_index(index, path, false);
    const std::optional<GzipIndex> back = read_gzip_index(path, gz);
    ASSERT_TRUE(back.has_value());
    ASSERT_EQ(back->points.size(), index.points.size());
    for (std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1} << 20, std::uint64_t{3333333},
                                 std::uint64_t{7} << 20, data.size() - 70000, data.size() - 1}) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(65536, data.size() - offset));
      for (GzipEngine engine : {GzipEngine::zlib, GzipEngine::isal}) {
      if (engine == GzipEngine::isal && !have_isal()) continue;
      auto s = open_indexed_source(gz, *back, offset, engine);
      const std::vector<unsigned char> got = read(*s, n);
      EXPECT_TRUE(std::equal(got.begin(), got.end(), data.begin() + static_cast<std::ptrdiff_t>(offset)))
          << members << " members, offset " << offset << ", engine " << static_cast<int>(engine);
      if (offset >= (std::uint64_t{3} << 20)) {  // started near the offset, not at the file's start
        auto plain = open_byte_source(gz, offset);
        read(*plain, n);
        EXPECT_LT(s->file_bytes_read(), plain->file_bytes_read() / 2) << offset;
      }
      s->finish();  // on to the end: the later members' CRCs checked, no garbage
      }
      // A part keeps one point: the last at or before its offset.
      const std::optional<GzipIndex> one = read_gzip_index(path, gz, offset);
      ASSERT_TRUE(one.has_value());
      EXPECT_EQ(one->point_count, index.points.size());
      ASSERT_LE(one->points.size(), 1u);
      if (!one->points.empty()) {
        EXPECT_LE(one->points[0].out, offset);
      }
      const std::vector<unsigned char> again = read(*open_indexed_source(gz, *one, offset), n);
      EXPECT_TRUE(std::equal(again.begin(), again.end(), data.begin() + static_cast<std::ptrdiff_t>(offset))) << offset;
    }
  }
}

TEST_F(GzipIndexTest, AnotherFilesOrACorruptIndexIsRefusedAndAMissingOneIsNone) {
  const std::vector<unsigned char> data = data_of(std::size_t{3} << 20, 2);
  write_gz(file("a.gz"), data, 1);
  write_gz(file("b.gz"), data_of(std::size_t{3} << 20, 3), 2);
  EXPECT_FALSE(read_gzip_index(file("none.respace-index"), file("a.gz")).has_value());
  write_gzip_index(build_gzip_index(file("a.gz"), std::uint64_t{1} << 20), file("a.idx"), false);
  try {
    read_gzip_index(file("a.idx"), file("b.gz"));
    FAIL() << "an index of another file was taken";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another file"), std::string::npos) << e.what();
  }
  std::string bytes;
  {
    std::ifstream f(file("a.idx"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  for (std::size_t at : {std::size_t{20}, std::size_t{70}, bytes.size() / 2, bytes.size() - 3}) {  // identity, an entry, a window, the CRC
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    std::ofstream(file("bad.idx"), std::ios::binary) << bad;
    EXPECT_THROW(read_gzip_index(file("bad.idx"), file("a.gz")), Error) << at;
  }
  std::ofstream(file("short.idx"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_THROW(read_gzip_index(file("short.idx"), file("a.gz")), Error);
  // Not gzip, truncated gzip: build refuses.
  std::ofstream(file("t.gz"), std::ios::binary) << gzip_member(data.data(), data.size(), 6).substr(0, 5000);
  EXPECT_THROW(build_gzip_index(file("t.gz")), Error);
  std::ofstream(file("x.gz"), std::ios::binary) << "not gzip at all";
  EXPECT_THROW(build_gzip_index(file("x.gz")), Error);
}

}  // namespace
}  // namespace respace
