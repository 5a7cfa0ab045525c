// SPDX-License-Identifier: MIT
// The three deflate engines behind one small interface: zlib (always built;
// what every peer links), ISA-L (built when libisal-dev is present) and
// libdeflate (built when libdeflate-dev is present; scripts/setup.sh
// installs both). All write standard raw deflate, so a gzip member made of
// chunks from any engine reads with any gzip reader.
//
// Levels keep gzip's 1-9 meaning. zlib and libdeflate use them as they are.
// ISA-L has levels 0-3; respace maps gzip 1-2 -> ISA-L 1, 3-5 -> 2, 6-9 -> 3.
//
// libdeflate compresses whole buffers only: a chunk is not primed with the
// 32 KiB before it (a little ratio lost, bench/README.md), and its stream,
// which libdeflate always ends with a final block, is made to go on by
// io/final_block.hpp. It inflates nothing: with --gzip-engine libdeflate
// the input is inflated by ISA-L (zlib when ISA-L is not built).
//
// The default (choose_gzip with neither engine nor level given) is the
// setting of least CPU whose output is within 2% of zlib level 6's size,
// measured on float32, int16 and uint8 outputs (bench/gzip_engines.sh, the
// table in bench/README.md):
//   floating-point output: ISA-L level 1 (+1.1% over zlib 6, a quarter of
//     zlib 6's CPU for the whole job; ISA-L 3 is +0.7% at a third more CPU);
//   integer output: libdeflate level 2 (int16 +0.2%, uint8 +1.5%). Level 1
//     is 5% cheaper on int16 but +1.8% there and +4.6% on uint8, too near
//     or past the line; ISA-L loses 3-7% on integer data at any level.
// Without ISA-L, floats take libdeflate 2 (+0.2%); without libdeflate,
// integers take zlib level 2 (+1.2%).
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

enum class GzipEngine { zlib, isal, libdeflate };

const char* to_string(GzipEngine e);
std::optional<GzipEngine> parse_gzip_engine(const std::string& s);
bool have_isal();
bool have_libdeflate();
bool have_engine(GzipEngine e);  // built into this respace
GzipEngine default_gzip_engine();  // isal when built with it, else zlib
int engine_level(GzipEngine e, int gzip_level);

struct GzipChoice {
  GzipEngine engine = GzipEngine::zlib;  // deflates the output
  int level = 6;                         // gzip's 1-9
  GzipEngine input = GzipEngine::zlib;   // inflates the input
};
// An engine or level given by the user wins (the other defaults to ISA-L or
// level 6); with neither, the profile above. The input is inflated by the
// engine the user named (libdeflate excepted, above), else by ISA-L when
// built in (the same bytes either way, twice as fast).
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

// Upper bound of compress()'s output for n input bytes, any engine.
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
