// SPDX-License-Identifier: MIT
// Sequential byte sinks for the output file: plain, or one gzip member
// deflated with zlib at a settable level. Both write to a file descriptor the
// caller owns (an AtomicFile's temporary file). Memory: a fixed output buffer
// of kWriteBuffer bytes plus zlib's deflate state (about 256 KiB at the
// default memLevel 8).
//
// The gzip sink's output depends only on the bytes written and the level,
// never on how the caller splits them into write() calls, so output bytes do
// not depend on block size or thread count.
//
// Thread safety: a sink is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace respace {

class ByteSink {
public:
  virtual ~ByteSink() = default;
  virtual void write(const void* src, std::size_t n) = 0;
  // Flushes everything (and writes the gzip trailer). No write() after it.
  virtual void finish() = 0;
  // Bytes written to the file so far.
  virtual std::uint64_t file_bytes_written() const = 0;
};

constexpr std::size_t kWriteBuffer = std::size_t{1} << 20;

// `path` is used in error messages only. level 0 means "plain file".
std::unique_ptr<ByteSink> make_byte_sink(int fd, const std::string& path, int gzip_level);

}  // namespace respace
