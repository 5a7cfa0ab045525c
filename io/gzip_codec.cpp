// SPDX-License-Identifier: MIT
#include "io/gzip_codec.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "io/error.hpp"
#include "io/final_block.hpp"

#if RESPACE_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#if RESPACE_HAVE_ISAL
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#endif

namespace respace {
namespace {

class ZlibDeflater final : public ChunkDeflater {
public:
  explicit ZlibDeflater(int level) {
    std::memset(&zs_, 0, sizeof zs_);
    if (deflateInit2(&zs_, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw Error(ExitCode::internal, "zlib deflateInit2 failed");
  }
  ~ZlibDeflater() override { deflateEnd(&zs_); }

  std::size_t compress(const unsigned char* dict, std::size_t dict_n, const unsigned char* in, std::size_t n,
                       unsigned char* out) override {
    deflateReset(&zs_);
    if (dict_n > 0 && deflateSetDictionary(&zs_, dict, static_cast<uInt>(dict_n)) != Z_OK)
      throw Error(ExitCode::internal, "zlib deflateSetDictionary failed");
    zs_.next_in = const_cast<unsigned char*>(in);
    zs_.avail_in = static_cast<uInt>(n);
    zs_.next_out = out;
    zs_.avail_out = static_cast<uInt>(deflate_bound(n));
    // One call with room for the bound completes the sync flush.
    if (deflate(&zs_, Z_SYNC_FLUSH) != Z_OK || zs_.avail_in != 0 || zs_.avail_out == 0)
      throw Error(ExitCode::internal, "zlib deflate did not complete a chunk");
    return static_cast<std::size_t>(zs_.next_out - out);
  }

private:
  z_stream zs_;
};

#if RESPACE_HAVE_ISAL
std::size_t isal_level_buffer(int level) {
  switch (level) {
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    case 3: return ISAL_DEF_LVL3_DEFAULT;
    default: return 0;
  }
}

class IsalDeflater final : public ChunkDeflater {
public:
  explicit IsalDeflater(int level) : level_(level), level_buf_(isal_level_buffer(level)) {}

  std::size_t compress(const unsigned char* dict, std::size_t dict_n, const unsigned char* in, std::size_t n,
                       unsigned char* out) override {
    isal_deflate_init(&s_);
    s_.level = static_cast<std::uint32_t>(level_);
    s_.level_buf = level_buf_.data();
    s_.level_buf_size = static_cast<std::uint32_t>(level_buf_.size());
    s_.flush = SYNC_FLUSH;
    s_.gzip_flag = IGZIP_DEFLATE;
    s_.end_of_stream = 0;
    if (dict_n > 0 && isal_deflate_set_dict(&s_, const_cast<unsigned char*>(dict), static_cast<std::uint32_t>(dict_n)) != COMP_OK)
      throw Error(ExitCode::internal, "ISA-L isal_deflate_set_dict failed");
    s_.next_in = const_cast<unsigned char*>(in);
    s_.avail_in = static_cast<std::uint32_t>(n);
    s_.next_out = out;
    s_.avail_out = static_cast<std::uint32_t>(deflate_bound(n));
    do {
      if (isal_deflate(&s_) != COMP_OK) throw Error(ExitCode::internal, "ISA-L isal_deflate failed");
      if (s_.avail_out == 0) throw Error(ExitCode::internal, "ISA-L output exceeded the deflate bound");
    } while (s_.avail_in != 0 || s_.internal_state.state != ZSTATE_NEW_HDR);
    return static_cast<std::size_t>(s_.next_out - out);
  }

private:
  int level_;
  std::vector<unsigned char> level_buf_;
  isal_zstream s_{};
};
#endif

#if RESPACE_HAVE_LIBDEFLATE
// What libdeflate 1.14 allocates per compressor (measured with
// libdeflate_set_memory_allocator; tests/io/final_block_test.cpp checks it):
// 198 KiB at level 1, 653 KiB at 2-9.
std::size_t libdeflate_compressor_bytes(int level) { return level <= 1 ? 256u << 10 : 768u << 10; }

class LibdeflateDeflater final : public ChunkDeflater {
public:
  explicit LibdeflateDeflater(int level) : c_(libdeflate_alloc_compressor(level)) {
    if (!c_) throw Error(ExitCode::internal, "libdeflate_alloc_compressor failed");
  }
  ~LibdeflateDeflater() override { libdeflate_free_compressor(c_); }

  // The dictionary is not used: libdeflate cannot be primed.
  std::size_t compress(const unsigned char* /*dict*/, std::size_t /*dict_n*/, const unsigned char* in, std::size_t n,
                       unsigned char* out) override {
    // Room for libdeflate's worst case and the five bytes of the sync flush.
    const std::size_t room = deflate_bound(n) - 8;
    if (libdeflate_deflate_compress_bound(c_, n) > room)
      throw Error(ExitCode::internal, "libdeflate's bound exceeds the chunk's deflate bound");
    const std::size_t made = libdeflate_deflate_compress(c_, in, n, out, room);
    if (made == 0) throw Error(ExitCode::internal, "libdeflate output exceeded its bound");
    return ender_.end_as_sync_flush(out, made);
  }

private:
  libdeflate_compressor* c_;
  FinalBlockEnder ender_;
};
#endif

}  // namespace

const char* to_string(GzipEngine e) {
  switch (e) {
    case GzipEngine::isal: return "isal";
    case GzipEngine::libdeflate: return "libdeflate";
    case GzipEngine::zlib: break;
  }
  return "zlib";
}

std::optional<GzipEngine> parse_gzip_engine(const std::string& s) {
  if (s == "zlib") return GzipEngine::zlib;
  if (s == "isal") return GzipEngine::isal;
  if (s == "libdeflate") return GzipEngine::libdeflate;
  return std::nullopt;
}

bool have_isal() { return RESPACE_HAVE_ISAL != 0; }
bool have_libdeflate() { return RESPACE_HAVE_LIBDEFLATE != 0; }
bool have_engine(GzipEngine e) {
  return e == GzipEngine::zlib || (e == GzipEngine::isal && have_isal()) || (e == GzipEngine::libdeflate && have_libdeflate());
}

GzipEngine default_gzip_engine() { return have_isal() ? GzipEngine::isal : GzipEngine::zlib; }

int engine_level(GzipEngine e, int gzip_level) {
  if (e != GzipEngine::isal) return gzip_level;
  return gzip_level <= 2 ? 1 : gzip_level <= 5 ? 2 : 3;
}

GzipChoice choose_gzip(std::optional<GzipEngine> engine, std::optional<int> level, bool float_output) {
  const GzipEngine input =
      engine && *engine != GzipEngine::libdeflate ? *engine : default_gzip_engine();  // libdeflate cannot stream
  if (engine || level) return {engine.value_or(default_gzip_engine()), level.value_or(6), input};
  // bench/gzip_engines.sh (bench/README.md): the least CPU within 2% of
  // zlib 6's size on float32, on int16 and on uint8.
  if (float_output && have_isal()) return {GzipEngine::isal, 1, input};
  if (have_libdeflate()) return {GzipEngine::libdeflate, 2, input};
  return {GzipEngine::zlib, 2, input};
}

std::unique_ptr<ChunkDeflater> make_chunk_deflater(GzipEngine e, int gzip_level) {
#if RESPACE_HAVE_LIBDEFLATE
  if (e == GzipEngine::libdeflate) return std::make_unique<LibdeflateDeflater>(gzip_level);
#else
  if (e == GzipEngine::libdeflate)
    throw Error(ExitCode::usage,
                "--gzip-engine libdeflate: this respace was built without libdeflate (install libdeflate-dev)");
#endif
#if RESPACE_HAVE_ISAL
  if (e == GzipEngine::isal) return std::make_unique<IsalDeflater>(engine_level(e, gzip_level));
#else
  if (e == GzipEngine::isal)
    throw Error(ExitCode::usage, "--gzip-engine isal: this respace was built without ISA-L (install libisal-dev)");
#endif
  return std::make_unique<ZlibDeflater>(gzip_level);
}

std::size_t deflater_bytes(GzipEngine e, int gzip_level) {
#if RESPACE_HAVE_LIBDEFLATE
  if (e == GzipEngine::libdeflate) return libdeflate_compressor_bytes(gzip_level) + FinalBlockEnder::kBytes;
#endif
#if RESPACE_HAVE_ISAL
  if (e == GzipEngine::isal) return sizeof(isal_zstream) + isal_level_buffer(engine_level(e, gzip_level));
#endif
  (void)e;
  (void)gzip_level;
  return 300 * 1024;  // zlib: (1 << (15 + 2)) + (1 << (8 + 9)) + state, memLevel 8
}

std::uint32_t crc32_update(std::uint32_t crc, const unsigned char* p, std::size_t n) {
#if RESPACE_HAVE_ISAL
  return crc32_gzip_refl(crc, p, n);
#else
  while (n > 0) {
    const auto step = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    crc = static_cast<std::uint32_t>(crc32(crc, p, step));
    p += step;
    n -= step;
  }
  return crc;
#endif
}

std::uint32_t crc32_join(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) {
  return static_cast<std::uint32_t>(crc32_combine64(crc_a, crc_b, static_cast<z_off64_t>(len_b)));
}

}  // namespace respace
