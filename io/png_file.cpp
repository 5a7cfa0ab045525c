// SPDX-License-Identifier: MIT
#include "io/png_file.hpp"

#include <png.h>
#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <cstring>

#include "io/atomic_file.hpp"
#include "io/error.hpp"

namespace respace {
namespace {

struct Target {
  int fd;
  bool failed = false;
  int error = 0;
};

void write_bytes(png_structp png, png_bytep data, png_size_t n) {
  auto* t = static_cast<Target*>(png_get_io_ptr(png));
  while (n > 0 && !t->failed) {
    const ssize_t w = ::write(t->fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      t->failed = true;
      t->error = errno;
      return;
    }
    data += w;
    n -= static_cast<png_size_t>(w);
  }
}

void flush_nothing(png_structp) {}

}  // namespace

void write_png(const std::string& path, const RgbImage& image, bool replace) {
  AtomicFile file(path);
  Target target{file.fd()};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) throw Error(ExitCode::internal, path + ": libpng could not start");
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    throw Error(ExitCode::bad_output, path + ": libpng could not write the picture");
  }
  png_set_write_fn(png, &target, write_bytes, flush_nothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < image.height; ++y)
    png_write_row(png, const_cast<png_bytep>(&image.rgb[static_cast<std::size_t>(y) * image.width * 3]));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (target.failed) throw Error(ExitCode::bad_output, path + ": " + std::strerror(target.error));
  file.commit(replace);
}

}  // namespace respace
