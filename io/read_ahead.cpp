// SPDX-License-Identifier: MIT
#include "io/read_ahead.hpp"

#include <algorithm>
#include <cstring>

#include "io/error.hpp"

namespace respace {

ReadAheadSource::ReadAheadSource(std::unique_ptr<ByteSource> inner, std::uint64_t total, bool to_end)
    : inner_(std::move(inner)), total_(total), to_end_(to_end), gzip_(inner_->is_gzip()) {
  for (std::size_t i = 0; i < kReadAheadDepth; ++i) {
    auto b = std::make_unique<Block>();
    b->bytes.resize(kReadAheadBlock);
    free_.push_back(std::move(b));
  }
  thread_ = std::thread([this] { run(); });
}

ReadAheadSource::~ReadAheadSource() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReadAheadSource::run() {
  try {
    std::uint64_t left = total_;
    while (left > 0) {
      std::unique_ptr<Block> b;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !free_.empty(); });
        if (stop_) return;
        b = std::move(free_.front());
        free_.pop_front();
      }
      b->size = static_cast<std::size_t>(std::min<std::uint64_t>(left, kReadAheadBlock));
      inner_->read_exact(b->bytes.data(), b->size);
      left -= b->size;
      {
        std::lock_guard<std::mutex> lock(mu_);
        full_.push_back(std::move(b));
      }
      cv_.notify_all();
    }
    if (to_end_) inner_->finish();
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
}

void ReadAheadSource::read_exact(void* dst, std::size_t n) {
  auto* p = static_cast<unsigned char*>(dst);
  while (n > 0) {
    if (!current_ || current_pos_ == current_->size) {
      std::unique_lock<std::mutex> lock(mu_);
      if (current_) free_.push_back(std::move(current_));
      cv_.notify_all();
      cv_.wait(lock, [&] { return !full_.empty() || done_; });
      if (full_.empty()) {
        if (error_) std::rethrow_exception(error_);
        throw Error(ExitCode::internal, "read-ahead: read past the voxel data");
      }
      current_ = std::move(full_.front());
      full_.pop_front();
      current_pos_ = 0;
    }
    const std::size_t step = std::min(n, current_->size - current_pos_);
    std::memcpy(p, current_->bytes.data() + current_pos_, step);
    current_pos_ += step;
    p += step;
    n -= step;
  }
}

void ReadAheadSource::finish() {
  if (finished_) return;
  finished_ = true;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done_; });
  if (error_) std::rethrow_exception(error_);
}

std::uint64_t ReadAheadSource::file_bytes_read() const {
  return inner_->file_bytes_read();  // exact once finish() has returned
}

}  // namespace respace
