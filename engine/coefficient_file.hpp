// SPDX-License-Identifier: MIT
// The general path's on-disk store of coefficient planes, used instead of
// the ring (engine/coefficient_ring.hpp) when the planes the output reads at
// any one time do not fit the memory limit (a 90-degree rotation that turns
// slices into columns needs every plane for every output plane).
//
// The coefficient pass writes every plane into a temporary file beside the
// output (take_plane); the file is unlinked as soon as it is open
// (io/atomic_file.hpp ScratchFile), so it disappears with the process
// whatever happens. The sampling stage then maps it read-only (map()) and,
// after each tile, its worker drops the pages it touched (release(); they
// stay in the page cache), so resident memory is at most threads x the
// pages one tile reads, whatever the transform.
//
// Thread safety: take_plane and finish from one thread; a Mapping's
// release() from any.
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <memory>
#include <string>

#include "engine/plane_sink.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_sink.hpp"

namespace respace {

// A read-only mapping of a file's first `bytes` bytes.
class Mapping {
public:
  Mapping(int fd, std::size_t bytes, const std::string& path);  // throws Error(memory_limit)
  ~Mapping();
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  const void* data() const { return base_; }
  // Drops the pages of [lo, hi) from this process (not from the page cache).
  void release(std::uint64_t lo, std::uint64_t hi) const;

private:
  void* base_ = MAP_FAILED;
  std::size_t bytes_ = 0;
};

class CoefficientFile final : public PlaneSink {
public:
  // Throws Error(bad_output) when `folder` is not writable.
  CoefficientFile(const std::string& folder, std::uint64_t volume_bytes);
  const std::string& path() const { return file_.path(); }
  std::uint64_t volume_bytes() const { return volume_bytes_; }

  // Start of a 3-D volume: the file emptied.
  void reset();
  void take_plane(std::int64_t k, const unsigned char* values, std::size_t bytes) override;
  // All planes written: flushed and mapped.
  std::unique_ptr<Mapping> finish();
  // Whether the file is gone from the folder (it should be, from the start).
  bool removed() const;

private:
  ScratchFile file_;
  std::uint64_t volume_bytes_;
  std::unique_ptr<ByteSink> sink_;
};

}  // namespace respace
