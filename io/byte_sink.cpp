// SPDX-License-Identifier: MIT
#include "io/byte_sink.hpp"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "io/atomic_file.hpp"
#include "io/error.hpp"

namespace respace {
namespace {


// Where a ranged sink is in the stream (SinkOptions::range): how much of
// the next n bytes falls before the range, in it, and after it.
class RangeCursor {
public:
  explicit RangeCursor(const std::optional<StreamRange>& r) : range_(r), pos_(r ? r->fed : 0) {
    if (r && (r->fed > r->begin || r->begin > r->end || r->begin % kChunkBytes != 0))
      throw Error(ExitCode::internal, "a stream range must start at a chunk and be fed from before it");
  }
  bool ranged() const { return range_.has_value(); }
  // Bytes of the next n before the range (0 when unranged).
  std::size_t before(std::size_t n) const {
    return range_ && pos_ < range_->begin ? static_cast<std::size_t>(std::min<std::uint64_t>(n, range_->begin - pos_)) : 0;
  }
  // Bytes of the next n within the range (all of them when unranged).
  std::size_t within(std::size_t n) const {
    if (!range_) return n;
    return pos_ >= range_->end ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(n, range_->end - pos_));
  }
  void advance(std::size_t n) { pos_ += n; }
  void check_complete(const std::string& path) const {
    if (range_ && pos_ < range_->end)
      throw Error(ExitCode::internal, path + ": the part ended at byte " + std::to_string(pos_) + " of its range's " +
                                          std::to_string(range_->end));
  }

private:
  std::optional<StreamRange> range_;
  std::uint64_t pos_;
};

class RawSink final : public ByteSink {
public:
  RawSink(int fd, std::string path, std::size_t max_write, const std::optional<StreamRange>& range)
      : fd_(fd), path_(std::move(path)), max_write_(max_write > 0 ? max_write : SIZE_MAX),
        capacity_(std::min(kWriteBuffer, max_write_)), cursor_(range) {
    buf_.reserve(capacity_);
  }
  void write(const void* src, std::size_t n) override {
    const auto* p = static_cast<const unsigned char*>(src);
    if (cursor_.ranged()) {  // only the range's bytes, CRC'd as they pass
      const std::size_t skip = cursor_.before(n);
      cursor_.advance(skip);
      const std::size_t keep = cursor_.within(n - skip);
      cursor_.advance(n - skip);
      p += skip;
      n = keep;
      crc_ = crc32_update(crc_, p, n);
      length_ += n;
    }
    if (buf_.size() + n > capacity_) flush();
    if (n >= capacity_) {
      put(p, n);  // large writes bypass the buffer
    } else {
      buf_.insert(buf_.end(), p, p + n);
    }
    written_ += n;
  }
  void finish() override {
    cursor_.check_complete(path_);
    flush();
  }
  std::uint64_t file_bytes_written() const override { return written_; }
  StreamPiece piece() const override { return {crc_, length_}; }

private:
  void flush() {
    put(buf_.data(), buf_.size());
    buf_.clear();
  }
  // One write(2) per max_write_ bytes at most.
  void put(const unsigned char* p, std::size_t n) {
    while (n > 0) {
      const std::size_t k = std::min(max_write_, n);
      write_fully(fd_, path_, p, k);
      p += k;
      n -= k;
    }
  }
  int fd_;
  std::string path_;
  std::size_t max_write_, capacity_;
  std::vector<unsigned char> buf_;
  std::uint64_t written_ = 0;
  RangeCursor cursor_;
  std::uint32_t crc_ = 0;
  std::uint64_t length_ = 0;
};

class GzipSink final : public ByteSink {
public:
  GzipSink(int fd, std::string path, const SinkOptions& o)
      : fd_(fd), path_(std::move(path)), engine_(o.engine), level_(o.gzip_level),
        pool_(chunk_buffer_bytes(), std::max<std::size_t>(2, o.chunk_capacity)),
        deflaters_([this] { return make_chunk_deflater(engine_, level_); }), cursor_(o.range) {
    make_chunk_deflater(engine_, level_);  // fail here, not in a worker, if the engine is missing
    pool_.prefault();
  }

  bool encodes() const override { return true; }

  void cut(const unsigned char* p, std::size_t n, std::vector<ChunkPtr>& full) override {
    if (cursor_.ranged()) {
      // Before the range: only its last window, the first chunk's dictionary.
      const std::size_t skip = cursor_.before(n);
      const std::size_t w = std::min(skip, kDeflateWindow);
      tail_.insert(tail_.end(), p + skip - w, p + skip);
      if (tail_.size() > kDeflateWindow) tail_.erase(tail_.begin(), tail_.end() - kDeflateWindow);
      cursor_.advance(skip);
      const std::size_t keep = cursor_.within(n - skip);  // after the range: dropped
      cursor_.advance(n - skip);
      p += skip;
      n = keep;
    }
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
    write_fully(fd_, path_, c.encoded(), c.encoded_n);
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
    cursor_.check_complete(path_);
    if (cur_ && cur_->n > 0) {
      encode(*cur_);
      write_chunk(*cur_);
    }
    cur_.reset();
    if (cursor_.ranged()) return;  // a piece: the join writes the rest
    write_header();
    // An empty final block with fixed codes (BFINAL=1, BTYPE=01, end-of-block),
    // then CRC-32 and ISIZE, little-endian (RFC 1952).
    unsigned char tail[10] = {0x03, 0x00};
    for (int i = 0; i < 4; ++i) {
      tail[2 + i] = static_cast<unsigned char>(crc_ >> (8 * i));
      tail[6 + i] = static_cast<unsigned char>(length_ >> (8 * i));
    }
    write_fully(fd_, path_, tail, sizeof tail);
    written_ += sizeof tail;
  }

  std::uint64_t file_bytes_written() const override { return written_; }
  StreamPiece piece() const override { return {crc_, length_}; }
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
    if (header_written_ || cursor_.ranged()) return;
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=3 (Unix): no time stamp, so
    // the same data always gives the same bytes.
    const unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    write_fully(fd_, path_, h, sizeof h);
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
  RangeCursor cursor_;
};

}  // namespace

std::unique_ptr<ByteSink> make_byte_sink(int fd, const std::string& path, const SinkOptions& o) {
  if (o.gzip_level <= 0) return std::make_unique<RawSink>(fd, path, o.max_write, o.range);
  return std::make_unique<GzipSink>(fd, path, o);
}

}  // namespace respace
