// SPDX-License-Identifier: MIT
#include "engine/coefficient_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/error.hpp"

namespace respace {
namespace {

constexpr std::uint64_t kPage = 4096;

// The file is written in small pieces on purpose: the page cache gives a
// write() folios as large as the write (up to 2 MiB on ext4 since Linux
// 6.16), and a read fault on the mapping then maps the whole folio, so the
// pages one tile maps would follow the folio size, not the tile.
// kFileWrite-byte writes keep the mapped granularity near a page; measured
// on a 90-degree rotation (tests/cli/target_cli_test.cpp): 1 MiB writes
// mapped about 30 MiB per 64 x 64 tile, 16 KiB writes at most about 10 MiB
// (peak RSS of that 512 MiB run under --memory-limit 128M: 189 MiB, then
// 106 MiB).
constexpr std::size_t kFileWrite = 16 << 10;

}  // namespace

Mapping::Mapping(int fd, std::size_t bytes, const std::string& path) : bytes_(bytes) {
  base_ = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (base_ == MAP_FAILED)
    throw Error(ExitCode::memory_limit, path + ": cannot map the coefficient file: " + std::strerror(errno));
}

Mapping::~Mapping() {
  if (base_ != MAP_FAILED) ::munmap(base_, bytes_);
}

void Mapping::release(std::uint64_t lo, std::uint64_t hi) const {
  lo = lo / kPage * kPage;
  hi = std::min<std::uint64_t>(bytes_, (hi + kPage - 1) / kPage * kPage);
  if (hi > lo) ::madvise(static_cast<char*>(base_) + lo, hi - lo, MADV_DONTNEED);
}

CoefficientFile::CoefficientFile(const std::string& folder, std::uint64_t volume_bytes)
    : file_(folder, "coefficients"), volume_bytes_(volume_bytes) {}

void CoefficientFile::reset() {
  if (::ftruncate(file_.fd(), 0) != 0 || ::lseek(file_.fd(), 0, SEEK_SET) != 0)
    throw Error(ExitCode::bad_output, path() + ": cannot reset the coefficient file: " + std::strerror(errno));
  SinkOptions small_writes;
  small_writes.max_write = kFileWrite;
  sink_ = make_byte_sink(file_.fd(), path(), small_writes);
}

void CoefficientFile::take_plane(std::int64_t, const unsigned char* values, std::size_t bytes) {
  sink_->write(values, bytes);
}

std::unique_ptr<Mapping> CoefficientFile::finish() {
  sink_->finish();
  sink_.reset();
  return std::make_unique<Mapping>(file_.fd(), static_cast<std::size_t>(volume_bytes_), path());
}

bool CoefficientFile::removed() const {
  struct stat st;
  return ::stat(path().c_str(), &st) != 0;
}

}  // namespace respace
