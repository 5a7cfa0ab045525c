// SPDX-License-Identifier: MIT
// ByteSource and ByteSink over memory, for engine tests.
#pragma once

#include <cstring>
#include <vector>

#include "io/byte_sink.hpp"
#include "io/byte_source.hpp"
#include "io/error.hpp"

namespace respace::testing {

class MemorySource final : public ByteSource {
public:
  explicit MemorySource(const std::vector<unsigned char>& bytes) : bytes_(bytes) {}
  void read_exact(void* dst, std::size_t n) override {
    if (pos_ + n > bytes_.size()) throw Error(ExitCode::bad_input, "memory: truncated");
    std::memcpy(dst, bytes_.data() + pos_, n);
    pos_ += n;
  }
  void finish() override {}
  std::uint64_t file_bytes_read() const override { return pos_; }
  bool is_gzip() const override { return false; }
  std::size_t position() const { return pos_; }

private:
  const std::vector<unsigned char>& bytes_;
  std::size_t pos_ = 0;
};

class MemorySink final : public ByteSink {
public:
  void write(const void* src, std::size_t n) override {
    const auto* p = static_cast<const unsigned char*>(src);
    bytes.insert(bytes.end(), p, p + n);
  }
  void finish() override {}
  std::uint64_t file_bytes_written() const override { return bytes.size(); }
  std::vector<unsigned char> bytes;
};

}  // namespace respace::testing
