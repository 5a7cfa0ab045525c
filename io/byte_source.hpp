// SPDX-License-Identifier: MIT
// Sequential byte sources for voxel data: a plain file, or a gzip stream
// inflated on the fly. Neither ever holds more than its fixed buffer
// (kReadBuffer bytes of compressed input plus zlib's 32 KiB window); the
// caller pulls exactly the bytes it needs, plane by plane.
//
// gzip is recognised by its magic bytes, not by the file name. Several gzip
// members in a row are read as one stream (RFC 1952 §2.2). Anything that
// follows the last member and is not another member is "trailing garbage"
// and an error, as are a truncated stream and a bad CRC (zlib checks it at
// the end of each member, which finish() reaches).
//
// Thread safety: a source is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/gzip_codec.hpp"

namespace respace {

class ByteSource {
public:
  virtual ~ByteSource() = default;
  // Reads exactly n bytes into dst, or throws Error(bad_input) naming the file.
  virtual void read_exact(void* dst, std::size_t n) = 0;
  // Skips n bytes (reads and discards through a small fixed buffer).
  void skip(std::uint64_t n);
  // Called after the last needed byte: a gzip source reads on to the end of
  // the stream so the CRC and the absence of trailing garbage are checked.
  virtual void finish() = 0;
  // Bytes consumed from the file so far (compressed bytes for gzip).
  virtual std::uint64_t file_bytes_read() const = 0;
  virtual bool is_gzip() const = 0;
};

// Opens `path` and positions it at byte `offset` of the (decompressed)
// stream. Throws Error(bad_input) when the file cannot be opened.
// gzip input is inflated by `engine` (zlib when ISA-L is not built in).
std::unique_ptr<ByteSource> open_byte_source(const std::string& path, std::uint64_t offset,
                                             GzipEngine engine = default_gzip_engine());

// Where inflating can start in a gzip file other than its start
// (io/gzip_index.hpp builds them): a deflate block inside some member.
struct AccessPoint {
  std::uint64_t out = 0;  // offset in the decompressed stream
  std::uint64_t in = 0;   // offset of the first whole byte of the block in the file
  int bits = 0;           // 0-7: bits of the byte before `in` that the block starts with
  std::vector<unsigned char> window;  // the output before `out` (up to 32 KiB)
};

// The decompressed stream of the gzip file `path` from `point` on, `skip`
// bytes further: raw deflate to the end of the member the point is in (its
// trailer skipped unchecked: the index's build checked it), then the
// following members read and checked as open_byte_source's are.
std::unique_ptr<ByteSource> open_byte_source_at(const std::string& path, const AccessPoint& point, std::uint64_t skip,
                                                GzipEngine engine = default_gzip_engine());

// Something that wraps a job's input source to watch it: the progress bar
// (cli/progress.hpp), the Python binding's progress callback and Ctrl-C.
class SourceWatch {
public:
  virtual ~SourceWatch() = default;
  // Called once; this watch must outlive the returned source.
  virtual std::unique_ptr<ByteSource> watch(std::unique_ptr<ByteSource> in) = 0;
};

// A source that passes everything to `inner` and calls `before(n)` ahead of
// each read of n bytes (it may throw: a cancelled job) and `after(bytes, n)`
// with the bytes read. skip() is the base class's, through read_exact, so
// skipped bytes are seen too. The one wrapper of the watchers.
std::unique_ptr<ByteSource> watched_source(std::unique_ptr<ByteSource> inner,
                                           std::function<void(const unsigned char*, std::size_t)> after,
                                           std::function<void(std::size_t)> before = {});

// A source over `bytes` bytes of memory the caller keeps alive (the Python
// binding's arrays); `name` goes into its messages.
std::unique_ptr<ByteSource> memory_source(const unsigned char* data, std::uint64_t bytes, std::string name);

// True when the file starts with the gzip magic bytes 1f 8b.
bool file_is_gzip(const std::string& path);

// Size of the compressed input buffer of a gzip source (declared capacity).
constexpr std::size_t kReadBuffer = std::size_t{1} << 20;

}  // namespace respace
