// SPDX-License-Identifier: MIT
// One volume across many machines: part K of N of a job's output stream
// (respace INPUT PART_FILE --part K/N) and the join of the parts into the
// file the single run writes, byte for byte (respace join, cli/join.hpp).
//
// The output stream (header, extensions, voxel data; uncompressed) is cut
// into the gzip writer's chunks (kChunkBytes at fixed offsets,
// io/byte_sink.hpp) and part K holds chunks [T(K-1)/N, TK/N) of the T. Each
// chunk is deflated with the 32 KiB before it as its dictionary, exactly as
// in the single run, so the join only concatenates the parts' deflate pieces
// between the gzip header and the trailer (the CRC-32s combined). A part of
// a .nii stream holds its bytes as they are.
//
// A part file: the payload (deflate pieces or raw bytes), then a JSON
// trailer (PartInfo), then 24 bytes: "RESPACE-PART-V1\n" and the trailer's
// length (8 bytes, little-endian). Written atomically like any output.
//
// Thread safety: pure functions, but for the file reads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/gzip_index.hpp"

namespace respace {

struct PartSpec {
  int k = 1, n = 1;  // part k of n, 1 <= k <= n
};

// "K/N": throws Error(usage) naming --part.
PartSpec parse_part(const std::string& s);

// Part k's share of a stream of `stream_bytes`: chunks [c0, c1) and their
// bytes [begin, end).
struct PartLayout {
  std::uint64_t stream_bytes = 0;
  std::int64_t c0 = 0, c1 = 0;
  std::uint64_t begin = 0, end = 0;
};
PartLayout part_layout(std::uint64_t stream_bytes, PartSpec spec);

// What a part must compute: the output planes [k0, k1) that hold its bytes
// and the dictionary before them, and the stream offset the first fed byte
// has (0 when the header must be fed too: `header_first`).
struct PartPlanes {
  std::int64_t k0 = 0, k1 = 0;
  std::uint64_t fed = 0;
  bool header_first = true;
};
// header_bytes: the header and extensions before the voxel data; planes of
// plane_bytes each, `planes` of them.
PartPlanes part_planes(const PartLayout& l, std::uint64_t header_bytes, std::uint64_t plane_bytes, std::int64_t planes,
                       bool gzip);

// One part's share of a job, for the --dry-run table.
struct PartRow {
  int k = 0;
  PartLayout layout;
  PartPlanes planes;
  std::int64_t input_first = 0, input_planes = 0;
};

// A part of a planned job (JobPlan::part, cli/job.cpp).
struct PartJob {
  PartSpec spec;
  bool gzip = true;
  std::string fingerprint;
  std::uint64_t header_bytes = 0;  // header and extensions: the stream before the voxel data
  std::uint64_t plane_bytes = 0;   // one output plane
  PartLayout layout;
  PartPlanes planes;
  bool windowed = false;  // the engine computes planes [k0, k1) alone; else every plane
  std::int64_t input_first = 0, input_planes = 0;  // the input planes read (windowed)
  std::vector<PartRow> all;  // with --dry-run: every part of the job, this one included
  std::shared_ptr<const GzipIndex> index;  // the input's access points (respace index), when found
  std::string index_path;
};

// The trailer of a part file.
struct PartInfo {
  std::string fingerprint;  // of the job: parts of different jobs never join
  PartSpec spec;
  bool gzip = true;
  int engine_level = 0;       // recorded for the report; the fingerprint covers it
  PartLayout layout;
  std::uint32_t crc = 0;      // CRC-32 of the stream bytes [begin, end)
  std::uint64_t payload_bytes = 0;
  std::uint32_t payload_crc = 0;  // CRC-32 of the payload as stored
  std::string input_planes;       // "lo-hi" read, for the report
  std::string json;               // the trailer as written (or read)
};

// Appends the trailer (from the other fields) to fd and fills info.json.
void write_part_trailer(int fd, const std::string& path, PartInfo& info);

// Reads a part file's trailer and checks its payload (size and CRC-32).
// Throws Error(bad_input) naming the file for anything else: not a part
// file, truncated, corrupted.
PartInfo read_part(const std::string& path);

// FNV-1a, 64 bits, as 16 hex digits: the fingerprint's hash.
std::string fnv1a_hex(const std::string& bytes);

}  // namespace respace
