// SPDX-License-Identifier: MIT
// Access points into a gzip file, so that a reader can start inflating near
// any offset of the decompressed stream instead of at its start (zlib's
// examples/zran.c, indexed_gzip, bgzip's .gzi do the same).
//
// An access point is where a deflate block starts, inside some member: the
// byte offsets in and out, the bits of the previous byte the block starts
// with, and the 32 KiB of output before it (the dictionary the block may
// refer back into). build_gzip_index() makes one in one pass, a point every
// `span` bytes of output (default 64 MiB: a 10 GB volume gets 160 points,
// about 3 MB of index once the windows are deflated); a member boundary is
// no access point (the next point is taken inside the member).
//
// The index file (respace index INPUT, beside the input as
// INPUT.respace-index by default): "RESPACE-GZINDEX1", the input's identity
// (size and last 8 bytes: the CRC-32 and length of its last member), the
// span and total output, then each point with its window deflated, then the
// file's CRC-32. An index whose identity does not match its input is refused.
//
// Thread safety: pure functions but for the files; one reader per source.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/byte_source.hpp"

namespace respace {

struct GzipIndex {
  std::uint64_t span = 0;        // output bytes between points
  std::uint64_t total_out = 0;   // the decompressed stream's length
  std::uint64_t file_bytes = 0;  // the gzip file's size
  unsigned char tail[8] = {};    // its last 8 bytes
  std::vector<AccessPoint> points;
  std::uint64_t point_count = 0;  // in the file (read_gzip_index may keep fewer)
};

constexpr std::uint64_t kDefaultIndexSpan = std::uint64_t{64} << 20;

// One pass over the gzip file `path` (every member; the CRCs checked).
// Throws Error(bad_input) naming the file for anything not a whole gzip file.
GzipIndex build_gzip_index(const std::string& path, std::uint64_t span = kDefaultIndexSpan);

// The default place of an input's index.
std::string default_index_path(const std::string& input);

// Writes atomically (replacing an existing index only with `replace`);
// returns the file's size.
std::uint64_t write_gzip_index(const GzipIndex& index, const std::string& path, bool replace);

// The index at `path` when it exists and belongs to `input` (same size and
// tail); nullopt when there is none. Throws Error(bad_input) for an index
// that is corrupt, or that belongs to another file (say which). With
// `before`, only the last point at or before that offset is kept (a part
// needs one; every entry is still checked): memory stays one window
// whatever the index's size.
std::optional<GzipIndex> read_gzip_index(const std::string& path, const std::string& input,
                                         std::optional<std::uint64_t> before = std::nullopt);

// A source over the decompressed stream of `path` from `offset` on,
// inflating from the last access point at or before it (open_byte_source_at,
// io/byte_source.hpp), by `engine` (ISA-L or zlib; the stream's bytes are
// the same); with no point before it, the plain source.
std::unique_ptr<ByteSource> open_indexed_source(const std::string& path, const GzipIndex& index, std::uint64_t offset,
                                                GzipEngine engine = default_gzip_engine());

}  // namespace respace
