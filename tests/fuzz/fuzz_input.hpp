// SPDX-License-Identifier: MIT
// Shared by the fuzz targets: the fuzzer's bytes as a file (nifticlib and
// the byte sources read paths), named by its content so gzip input gets a
// .gz name as a user's file would.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace respace::fuzz {

inline std::string write_input(const std::uint8_t* data, std::size_t size, const char* stem) {
  const bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const std::string path = std::string("/tmp/") + stem + "-" + std::to_string(::getpid()) + (gz ? ".nii.gz" : ".nii");
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  return path;
}

}  // namespace respace::fuzz
