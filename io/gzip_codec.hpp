// SPDX-License-Identifier: MIT
// The two deflate engines behind one small interface: zlib (always built;
// what every peer links) and ISA-L (built when libisal-dev is present, which
// scripts/setup.sh installs). Both write standard raw deflate, so a gzip
// member made of chunks from either engine reads with any gzip reader.
//
// Levels keep gzip's 1-9 meaning. zlib uses them as they are. ISA-L has
// levels 0-3; respace maps gzip 1-2 -> ISA-L 1, 3-5 -> 2, 6-9 -> 3.
//
// The default (choose_gzip with neither engine nor level given) aims at
// zlib level 6's size, within 2%, as fast as the measurements allow
// (bench/README.md, bench/throughput.sh):
//   floating-point output: ISA-L level 3 (+0.2% to +0.8% over zlib 6 on the
//     benchmark volumes, 5 to 10 times faster);
//   integer output: zlib level 2 (+1.3%), because ISA-L's matcher loses
//     about 3% on the noisy low bits of 16-bit data whatever its level or
//     buffer size.
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

struct GzipChoice {
  GzipEngine engine = GzipEngine::zlib;  // deflates the output
  int level = 6;                         // gzip's 1-9
  GzipEngine input = GzipEngine::zlib;   // inflates the input
};
// An engine or level given by the user wins (the other defaults to ISA-L or
// level 6); with neither, the profile above. The input is inflated by the
// engine the user named, else by ISA-L when built in (the same bytes either
// way, twice as fast).
GzipChoice choose_gzip(std::optional<GzipEngine> engine, std::optional<int> level, bool float_output);

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
// Stored blocks in the worst case: 5 bytes per 16 KiB (ISA-L's smallest
// stored block size) plus the sync flush and slack for headers. The one
// formula: the chunk buffers (io/byte_sink.hpp) are sized with it too.
constexpr std::size_t deflate_bound(std::size_t n) { return n + (n >> 11) + 1024; }
// Memory one ChunkDeflater holds (for the planner).
std::size_t deflater_bytes(GzipEngine e, int gzip_level);

// CRC-32 as gzip defines it (ISA-L's carry-less multiply when built with it).
std::uint32_t crc32_update(std::uint32_t crc, const unsigned char* p, std::size_t n);
// The CRC of A followed by B, from crc(A), crc(B) and len(B).
std::uint32_t crc32_join(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b);

}  // namespace respace
