// SPDX-License-Identifier: MIT
// The two deflate engines behind one small interface: zlib (always built;
// what every peer links) and ISA-L (built when libisal-dev is present, which
// scripts/setup.sh installs). Both write standard raw deflate, so a gzip
// member made of chunks from either engine reads with any gzip reader.
//
// Levels keep gzip's 1-9 meaning. zlib uses them as they are. ISA-L has
// levels 0-3; respace maps gzip 1-2 -> ISA-L 1, 3-5 -> 2, 6-9 -> 3, so the
// default level 6 gives ISA-L level 3, which on the benchmark volumes comes
// within 2% of zlib level 6's size at several times its speed
// (bench/README.md).
//
// Thread safety: a ChunkDeflater is used by one thread at a time; the free
// functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace respace {

enum class GzipEngine { zlib, isal };

const char* to_string(GzipEngine e);
std::optional<GzipEngine> parse_gzip_engine(const std::string& s);
bool have_isal();
GzipEngine default_gzip_engine();  // isal when built with it, else zlib
int engine_level(GzipEngine e, int gzip_level);

// Deflate's window: a chunk is primed with at most this many preceding bytes.
constexpr std::size_t kDeflateWindow = 32768;

class ChunkDeflater {
public:
  virtual ~ChunkDeflater() = default;
  // Compresses in[0, n) as raw deflate ending on a byte boundary (a sync
  // flush: an empty stored block), primed with dict[0, dict_n) as the
  // preceding data. `out` holds at least deflate_bound(n) bytes. Returns the
  // bytes written.
  virtual std::size_t compress(const unsigned char* dict, std::size_t dict_n, const unsigned char* in,
                               std::size_t n, unsigned char* out) = 0;
};

std::unique_ptr<ChunkDeflater> make_chunk_deflater(GzipEngine e, int gzip_level);

// Upper bound of compress()'s output for n input bytes, either engine.
std::size_t deflate_bound(std::size_t n);
// Memory one ChunkDeflater holds (for the planner).
std::size_t deflater_bytes(GzipEngine e, int gzip_level);

// CRC-32 as gzip defines it (ISA-L's carry-less multiply when built with it).
std::uint32_t crc32_update(std::uint32_t crc, const unsigned char* p, std::size_t n);
// The CRC of A followed by B, from crc(A), crc(B) and len(B).
std::uint32_t crc32_join(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b);

}  // namespace respace
