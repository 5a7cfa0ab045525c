// SPDX-License-Identifier: MIT
// A pool of equal-sized buffers with a declared capacity, allocated lazily
// and reused, never freed while the pool lives (so the process's resident
// size reaches its plateau and stays there).
//
// acquire() never blocks: the memory planner sizes every pool from the
// pipeline's bound on live buffers, so a pool that runs dry is a bug in that
// bound. It is served anyway (a run never fails for it) and counted in
// overflows(), which the tests assert to be zero.
//
// Thread safety: acquire() and Handle destruction may be called from any
// thread (one mutex per pool, taken once per plane-sized buffer).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace respace {

class BufferPool {
public:
  BufferPool(std::size_t buffer_bytes, std::size_t capacity)
      : bytes_(buffer_bytes), capacity_(capacity) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  class Handle {
  public:
    Handle() = default;
    Handle(BufferPool* pool, std::unique_ptr<unsigned char[]> mem) : pool_(pool), mem_(std::move(mem)) {}
    Handle(Handle&&) noexcept = default;
    Handle& operator=(Handle&& o) noexcept {
      release();
      pool_ = o.pool_;
      mem_ = std::move(o.mem_);
      return *this;
    }
    ~Handle() { release(); }
    unsigned char* data() const { return mem_.get(); }
    template <class W>
    W* as() const { return reinterpret_cast<W*>(mem_.get()); }
    explicit operator bool() const { return static_cast<bool>(mem_); }

  private:
    void release() {
      if (mem_) pool_->give_back(std::move(mem_));
    }
    BufferPool* pool_ = nullptr;
    std::unique_ptr<unsigned char[]> mem_;
  };

  Handle acquire() {
    std::lock_guard<std::mutex> lock(mu_);
    ++in_use_;
    peak_ = std::max(peak_, in_use_);
    if (in_use_ > capacity_) ++overflows_;
    if (!free_.empty()) {
      auto mem = std::move(free_.back());
      free_.pop_back();
      return Handle(this, std::move(mem));
    }
    return Handle(this, std::unique_ptr<unsigned char[]>(new unsigned char[bytes_]));
  }

  // Allocates and touches every buffer up to the capacity now, so the
  // resident size reaches the plan at start and stays there (predictable
  // peak memory, the same for small and large planes).
  void prefault() {
    std::lock_guard<std::mutex> lock(mu_);
    while (free_.size() + in_use_ < capacity_) {
      std::unique_ptr<unsigned char[]> mem(new unsigned char[bytes_]);
      std::memset(mem.get(), 0, bytes_);
      free_.push_back(std::move(mem));
    }
  }

  std::size_t buffer_bytes() const { return bytes_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t peak_in_use() const { std::lock_guard<std::mutex> lock(mu_); return peak_; }
  std::size_t overflows() const { std::lock_guard<std::mutex> lock(mu_); return overflows_; }

private:
  void give_back(std::unique_ptr<unsigned char[]> mem) {
    std::lock_guard<std::mutex> lock(mu_);
    --in_use_;
    free_.push_back(std::move(mem));
  }

  std::size_t bytes_;
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<unsigned char[]>> free_;
  std::size_t in_use_ = 0;
  std::size_t peak_ = 0;
  std::size_t overflows_ = 0;
};

}  // namespace respace
