// SPDX-License-Identifier: MIT
#include "io/byte_sink.hpp"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "io/error.hpp"

namespace respace {
namespace {

void write_all(int fd, const std::string& path, const unsigned char* p, std::size_t n) {
  while (n > 0) {
    ssize_t put = ::write(fd, p, n);
    if (put < 0) {
      if (errno == EINTR) continue;
      throw Error(ExitCode::bad_output, path + ": write failed: " + std::strerror(errno));
    }
    p += put;
    n -= static_cast<std::size_t>(put);
  }
}

class RawSink final : public ByteSink {
public:
  RawSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) { buf_.reserve(kWriteBuffer); }
  void write(const void* src, std::size_t n) override {
    const auto* p = static_cast<const unsigned char*>(src);
    if (buf_.size() + n > kWriteBuffer) flush();
    if (n >= kWriteBuffer) {
      write_all(fd_, path_, p, n);  // large writes bypass the buffer
    } else {
      buf_.insert(buf_.end(), p, p + n);
    }
    written_ += n;
  }
  void finish() override { flush(); }
  std::uint64_t file_bytes_written() const override { return written_; }

private:
  void flush() {
    write_all(fd_, path_, buf_.data(), buf_.size());
    buf_.clear();
  }
  int fd_;
  std::string path_;
  std::vector<unsigned char> buf_;
  std::uint64_t written_ = 0;
};

class GzipSink final : public ByteSink {
public:
  GzipSink(int fd, std::string path, int level) : fd_(fd), path_(std::move(path)), out_(kWriteBuffer) {
    std::memset(&zs_, 0, sizeof zs_);
    if (deflateInit2(&zs_, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw Error(ExitCode::internal, path_ + ": zlib deflateInit2 failed");
  }
  ~GzipSink() override { deflateEnd(&zs_); }

  void write(const void* src, std::size_t n) override {
    const auto* p = static_cast<const unsigned char*>(src);
    while (n > 0) {  // avail_in is 32-bit: feed at most 1 GiB per round
      std::size_t step = std::min<std::size_t>(n, std::size_t{1} << 30);
      zs_.next_in = const_cast<unsigned char*>(p);
      zs_.avail_in = static_cast<uInt>(step);
      run(Z_NO_FLUSH);
      p += step;
      n -= step;
    }
  }
  void finish() override {
    zs_.next_in = nullptr;
    zs_.avail_in = 0;
    run(Z_FINISH);
  }
  std::uint64_t file_bytes_written() const override { return written_; }

private:
  void run(int flush) {
    for (;;) {
      zs_.next_out = out_.data();
      zs_.avail_out = static_cast<uInt>(out_.size());
      int rc = deflate(&zs_, flush);
      if (rc == Z_STREAM_ERROR) throw Error(ExitCode::internal, path_ + ": zlib deflate failed");
      std::size_t have = out_.size() - zs_.avail_out;
      write_all(fd_, path_, out_.data(), have);
      written_ += have;
      if (flush == Z_FINISH ? rc == Z_STREAM_END : (zs_.avail_in == 0 && zs_.avail_out != 0)) return;
    }
  }
  int fd_;
  std::string path_;
  std::vector<unsigned char> out_;
  z_stream zs_;
  std::uint64_t written_ = 0;
};

}  // namespace

std::unique_ptr<ByteSink> make_byte_sink(int fd, const std::string& path, int gzip_level) {
  if (gzip_level <= 0) return std::make_unique<RawSink>(fd, path);
  return std::make_unique<GzipSink>(fd, path, gzip_level);
}

}  // namespace respace
