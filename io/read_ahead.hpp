// SPDX-License-Identifier: MIT
// Decoding on its own thread: a ByteSource that runs another source (the
// gzip inflate, or plain reads) on a dedicated thread, up to
// kReadAheadDepth blocks of kReadAheadBlock bytes ahead of the consumer, so
// inflating the input overlaps the resampling and the compression.
//
// The thread reads exactly `total` bytes (the voxel data), then calls the
// inner source's finish() (gzip CRC, trailing garbage), and stops. An error
// on the thread is rethrown to the consumer at the point where the missing
// bytes were wanted, or from finish(). Destroying the source early (the
// consumer failed) stops and joins the thread.
//
// Memory: kReadAheadDepth x kReadAheadBlock bytes, plus the inner source's.
// Thread safety: the consumer side is used by one thread at a time.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "io/byte_source.hpp"

namespace respace {

constexpr std::size_t kReadAheadBlock = std::size_t{2} << 20;
constexpr std::size_t kReadAheadDepth = 4;

class ReadAheadSource final : public ByteSource {
public:
  // `total`: the bytes read ahead; then inner's finish() checks the rest of
  // the stream, unless `to_end` is false (a part's window of the input).
  ReadAheadSource(std::unique_ptr<ByteSource> inner, std::uint64_t total, bool to_end = true);
  ~ReadAheadSource() override;

  void read_exact(void* dst, std::size_t n) override;
  void finish() override;
  std::uint64_t file_bytes_read() const override;
  bool is_gzip() const override { return gzip_; }

private:
  struct Block {
    std::vector<unsigned char> bytes;
    std::size_t size = 0;
  };
  void run();

  std::unique_ptr<ByteSource> inner_;
  const std::uint64_t total_;
  const bool to_end_;
  const bool gzip_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Block>> full_, free_;  // at most kReadAheadDepth blocks in all
  std::unique_ptr<Block> current_;
  std::size_t current_pos_ = 0;
  bool done_ = false, stop_ = false, finished_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace respace
