// SPDX-License-Identifier: MIT
// io/final_block: complete deflate streams (zlib's Z_FINISH, and
// libdeflate's when built) made to go on. Pieces so rewritten and joined,
// plus one empty final block, inflate (by zlib) to the pieces' bytes joined:
// on empty, tiny, incompressible (stored blocks), compressible and
// multi-block data, with the sync flush's header bits both in the padding
// and in a byte of their own.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "io/error.hpp"
#include "io/final_block.hpp"
#include "io/gzip_codec.hpp"
#include "io_fixture.hpp"

#if RESPACE_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

namespace respace {
namespace {

using Bytes = std::vector<unsigned char>;

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes zlib_complete(const Bytes& in, int level) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&zs, in.size()) + 16);
  zs.next_in = const_cast<unsigned char*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Bytes inflate_raw(const Bytes& s, std::size_t expect) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, -MAX_WBITS), Z_OK);
  Bytes out(expect + 1024);
  zs.next_in = const_cast<unsigned char*>(s.data());
  zs.avail_in = static_cast<uInt>(s.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END) << (zs.msg ? zs.msg : "");
  EXPECT_EQ(zs.avail_in, 0u) << "bytes after the final block";
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::vector<Bytes> pieces() {
  std::mt19937 rng(7);
  Bytes noise(200000);
  for (auto& b : noise) b = static_cast<unsigned char>(rng());
  std::vector<Bytes> p = {{}, {42}, {1, 2, 3}, noise, io_test::pattern(1 << 20, 3)};
  for (std::size_t n = 1; n < 40; n += 3) p.push_back(io_test::pattern(n * 37, static_cast<unsigned>(n)));
  return p;
}

// Rewrites each complete stream, joins them and the final block, inflates.
void check_joined(const std::vector<Bytes>& data, const std::vector<Bytes>& streams) {
  FinalBlockEnder ender;
  Bytes joined, expected;
  int own_byte = 0, in_padding = 0;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    Bytes s = streams[i];
    const std::size_t n = s.size();
    s.resize(n + 5);
    const std::size_t made = ender.end_as_sync_flush(s.data(), n);
    ASSERT_TRUE(made == n + 4 || made == n + 5) << i;
    (made == n + 5 ? own_byte : in_padding) += 1;
    EXPECT_EQ(inflate_raw(Bytes(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(made)) + Bytes{0x03, 0x00}, data[i].size()), data[i]) << i;
    joined.insert(joined.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(made));
    expected.insert(expected.end(), data[i].begin(), data[i].end());
  }
  joined.insert(joined.end(), {0x03, 0x00});  // an empty final block (static Huffman)
  EXPECT_TRUE(inflate_raw(joined, expected.size()) == expected);
  EXPECT_GT(own_byte, 0) << "no stream left under 3 bits of padding";
  EXPECT_GT(in_padding, 0) << "no stream left 3 bits of padding or more";
}

TEST(FinalBlock, ZlibStreamsJoinIntoOne) {
  const std::vector<Bytes> data = pieces();
  for (int level : {1, 6, 9}) {
    std::vector<Bytes> streams;
    for (const Bytes& d : data) streams.push_back(zlib_complete(d, level));
    check_joined(data, streams);
  }
}

TEST(FinalBlock, LibdeflateStreamsJoinIntoOne) {
#if RESPACE_HAVE_LIBDEFLATE
  const std::vector<Bytes> data = pieces();
  for (int level : {1, 4, 6, 9}) {
    libdeflate_compressor* c = libdeflate_alloc_compressor(level);
    std::vector<Bytes> streams;
    for (const Bytes& d : data) {
      Bytes out(libdeflate_deflate_compress_bound(c, d.size()));
      out.resize(libdeflate_deflate_compress(c, d.data(), d.size(), out.data(), out.size()));
      ASSERT_GT(out.size(), 0u);
      streams.push_back(out);
    }
    libdeflate_free_compressor(c);
    check_joined(data, streams);
  }
#else
  GTEST_SKIP() << "built without libdeflate";
#endif
}

TEST(FinalBlock, WhatIsNotOneCompleteStreamIsAnInternalError) {
  const Bytes data = io_test::pattern(100000, 5);
  const Bytes whole = zlib_complete(data, 6);
  FinalBlockEnder ender;
  for (const Bytes& bad : {Bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(whole.size() / 2)),
                           whole + Bytes{0x55, 0x66}, Bytes{0xff, 0xff, 0xff}, Bytes{}}) {
    Bytes s = bad;
    s.resize(bad.size() + 5);
    try {
      ender.end_as_sync_flush(s.data(), bad.size());
      ADD_FAILURE() << "accepted " << bad.size() << " bytes";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::internal);
    }
  }
  // The object is still good for the next stream.
  Bytes s = whole;
  s.resize(whole.size() + 5);
  EXPECT_GE(ender.end_as_sync_flush(s.data(), whole.size()), whole.size() + 4);
}

#if RESPACE_HAVE_LIBDEFLATE
std::size_t g_allocated = 0;
void* counting_malloc(std::size_t n) {
  g_allocated += n;
  return std::malloc(n);
}

TEST(FinalBlock, LibdeflateDeflaterHoldsNoMoreThanThePlannerCounts) {
  // libdeflate's allocator hook is process-wide; the test restores it.
  for (int level = 1; level <= 9; ++level) {
    g_allocated = 0;
    libdeflate_set_memory_allocator(counting_malloc, std::free);
    const auto d = make_chunk_deflater(GzipEngine::libdeflate, level);
    libdeflate_set_memory_allocator(std::malloc, std::free);
    EXPECT_GT(g_allocated, 0u);
    EXPECT_LE(g_allocated + sizeof(FinalBlockEnder) + FinalBlockEnder::kBytes,
              deflater_bytes(GzipEngine::libdeflate, level)) << "level " << level;
  }
}
#endif

}  // namespace
}  // namespace respace
