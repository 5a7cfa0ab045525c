// SPDX-License-Identifier: MIT
#include "io/byte_sink.hpp"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "io/error.hpp"

namespace respace {
namespace {

void write_all(int fd, const std::string& path, const unsigned char* p, std::size_t n) {
  while (n > 0) {
    ssize_t put = ::write(fd, p, n);
    if (put < 0) {
      if (errno == EINTR) continue;
      throw Error(ExitCode::bad_output, path + ": write failed: " + std::strerror(errno) +
                                            (errno == EFBIG ? " (the file-size limit, ulimit -f, or the file "
                                                              "system's largest file)"
                                                            : ""));
    }
    p += put;
    n -= static_cast<std::size_t>(put);
  }
}

class RawSink final : public ByteSink {
public:
  RawSink(int fd, std::string path, std::size_t max_write)
      : fd_(fd), path_(std::move(path)), max_write_(max_write > 0 ? max_write : SIZE_MAX),
        capacity_(std::min(kWriteBuffer, max_write_)) {
    buf_.reserve(capacity_);
  }
  void write(const void* src, std::size_t n) override {
    const auto* p = static_cast<const unsigned char*>(src);
    if (buf_.size() + n > capacity_) flush();
    if (n >= capacity_) {
      put(p, n);  // large writes bypass the buffer
    } else {
      buf_.insert(buf_.end(), p, p + n);
    }
    written_ += n;
  }
  void finish() override { flush(); }
  std::uint64_t file_bytes_written() const override { return written_; }

private:
  void flush() {
    put(buf_.data(), buf_.size());
    buf_.clear();
  }
  // One write(2) per max_write_ bytes at most.
  void put(const unsigned char* p, std::size_t n) {
    while (n > 0) {
      const std::size_t k = std::min(max_write_, n);
      write_all(fd_, path_, p, k);
      p += k;
      n -= k;
    }
  }
  int fd_;
  std::string path_;
  std::size_t max_write_, capacity_;
  std::vector<unsigned char> buf_;
  std::uint64_t written_ = 0;
};

class GzipSink final : public ByteSink {
public:
  GzipSink(int fd, std::string path, const SinkOptions& o)
      : fd_(fd), path_(std::move(path)), engine_(o.engine), level_(o.gzip_level),
        pool_(chunk_buffer_bytes(), std::max<std::size_t>(2, o.chunk_capacity)),
        deflaters_([this] { return make_chunk_deflater(engine_, level_); }) {
    make_chunk_deflater(engine_, level_);  // fail here, not in a worker, if the engine is missing
    pool_.prefault();
  }

  bool encodes() const override { return true; }

  void cut(const unsigned char* p, std::size_t n, std::vector<ChunkPtr>& full) override {
    while (n > 0) {
      if (!cur_) start_chunk();
      const std::size_t step = std::min(n, kChunkBytes - cur_->n);
      std::memcpy(cur_->data() + cur_->n, p, step);
      cur_->n += step;
      p += step;
      n -= step;
      if (cur_->n == kChunkBytes) {
        keep_tail(*cur_);
        full.push_back(std::move(cur_));
      }
    }
  }

  void encode(Chunk& c) const override {
    c.crc = crc32_update(0, c.data(), c.n);
    c.encoded_n = deflaters_.local()->compress(c.dict(), c.dict_n, c.data(), c.n, c.encoded());
  }

  void write_chunk(const Chunk& c) override {
    write_header();
    write_all(fd_, path_, c.encoded(), c.encoded_n);
    written_ += c.encoded_n;
    crc_ = crc32_join(crc_, c.crc, c.n);
    length_ += c.n;
  }

  void write(const void* src, std::size_t n) override {
    std::vector<ChunkPtr> full;
    cut(static_cast<const unsigned char*>(src), n, full);
    for (ChunkPtr& c : full) {
      encode(*c);
      write_chunk(*c);
    }
  }

  void finish() override {
    if (cur_ && cur_->n > 0) {
      encode(*cur_);
      write_chunk(*cur_);
    }
    cur_.reset();
    write_header();
    // An empty final block with fixed codes (BFINAL=1, BTYPE=01, end-of-block),
    // then CRC-32 and ISIZE, little-endian (RFC 1952).
    unsigned char tail[10] = {0x03, 0x00};
    for (int i = 0; i < 4; ++i) {
      tail[2 + i] = static_cast<unsigned char>(crc_ >> (8 * i));
      tail[6 + i] = static_cast<unsigned char>(length_ >> (8 * i));
    }
    write_all(fd_, path_, tail, sizeof tail);
    written_ += sizeof tail;
  }

  std::uint64_t file_bytes_written() const override { return written_; }
  std::size_t peak_chunks() const override { return pool_.peak_in_use(); }
  std::size_t chunk_overflows() const override { return pool_.overflows(); }

private:
  void start_chunk() {
    cur_ = std::make_unique<Chunk>();
    cur_->mem = pool_.acquire();
    cur_->dict_n = tail_.size();
    if (!tail_.empty()) std::memcpy(cur_->dict(), tail_.data(), tail_.size());  // no memcpy from null
  }
  // The last 32 KiB of a full chunk prime the next one (only full chunks
  // are followed by another, and a full chunk holds more than a window).
  void keep_tail(const Chunk& c) {
    static_assert(kChunkBytes >= kDeflateWindow, "a full chunk must hold a whole window");
    tail_.assign(c.data() + c.n - kDeflateWindow, c.data() + c.n);
  }
  void write_header() {
    if (header_written_) return;
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=3 (Unix): no time stamp, so
    // the same data always gives the same bytes.
    const unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    write_all(fd_, path_, h, sizeof h);
    written_ += sizeof h;
    header_written_ = true;
  }

  int fd_;
  std::string path_;
  GzipEngine engine_;
  int level_;
  BufferPool pool_;
  mutable oneapi::tbb::enumerable_thread_specific<std::unique_ptr<ChunkDeflater>> deflaters_;
  ChunkPtr cur_;
  std::vector<unsigned char> tail_;
  std::uint32_t crc_ = 0;
  std::uint64_t length_ = 0, written_ = 0;
  bool header_written_ = false;
};

}  // namespace

std::unique_ptr<ByteSink> make_byte_sink(int fd, const std::string& path, const SinkOptions& o) {
  if (o.gzip_level <= 0) return std::make_unique<RawSink>(fd, path, o.max_write);
  return std::make_unique<GzipSink>(fd, path, o);
}

}  // namespace respace
