// SPDX-License-Identifier: MIT
// An 8-bit RGB picture written as PNG with libpng (Debian libpng-dev), into
// an AtomicFile (io/atomic_file.hpp): it appears under its name only when
// complete.
//
// Thread safety: one call writes one file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace respace {

struct RgbImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;  // width * height * 3, rows top to bottom
  RgbImage(int w, int h, std::uint8_t grey) : width(w), height(h), rgb(static_cast<std::size_t>(w) * h * 3, grey) {}
  std::uint8_t* at(int x, int y) { return &rgb[(static_cast<std::size_t>(y) * width + x) * 3]; }
};

// Throws Error(bad_output) naming `path` when it cannot be written; an
// existing file is replaced only with `replace`.
void write_png(const std::string& path, const RgbImage& image, bool replace);

}  // namespace respace
