// SPDX-License-Identifier: MIT
#include "io/raw_header.hpp"

#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "io/byte_sink.hpp"
#include "io/byte_source.hpp"
#include "io/error.hpp"

namespace respace {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(ExitCode::bad_input, path + ": " + what);
}

std::int32_t bswap32(std::int32_t v) {
  return static_cast<std::int32_t>(__builtin_bswap32(static_cast<std::uint32_t>(v)));
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// Reads exactly n header bytes, with a message about the header (not the
// voxel data) when the file ends first.
void read_header_bytes(ByteSource& src, void* dst, std::size_t n, std::uint64_t at, const std::string& path) {
  try {
    src.read_exact(dst, n);
  } catch (const Error& e) {
    if (std::strstr(e.what(), "truncated") == nullptr) throw;
    fail(path, "the file ends inside the " + std::to_string(at + n) + "-byte NIfTI header");
  }
}

// The checks of where the data are and how much, on a header layout
// (nifti_1_header or nifti_2_header) in this machine's byte order.
template <class H>
void check_layout(const H& h, RawHeader& r, const std::string& path) {
  const std::int64_t nd = h.dim[0];
  if (nd < 1 || nd > 7) fail(path, "dim[0] = " + std::to_string(nd) + ": the number of dimensions must be 1 to 7");
  for (int d = 1; d <= nd; ++d)
    if (h.dim[d] < 1)
      fail(path, "impossible dimension dim[" + std::to_string(d) + "] = " + std::to_string(h.dim[d]) +
                     " (each of dim[1..dim[0]] must be at least 1)");
  int nbyper = 0, swapsize = 0;
  nifti_datatype_sizes(h.datatype, &nbyper, &swapsize);
  std::uint64_t bytes = static_cast<std::uint64_t>(nbyper > 0 ? nbyper : 1);
  std::string shape;
  for (int d = 1; d <= nd; ++d) {
    shape += (d > 1 ? " x " : "") + std::to_string(h.dim[d]);
    if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(h.dim[d]), &bytes) ||
        bytes > static_cast<std::uint64_t>(INT64_MAX))
      fail(path, "the header's dimensions " + shape + (d < nd ? " ..." : "") +
                     " describe more than 2^63 bytes of voxel data");
  }

  const double off = static_cast<double>(h.vox_offset);
  const double least = r.one_file ? static_cast<double>(r.header_bytes) : 0.0;
  if (!std::isfinite(off) || off != std::floor(off) || off < least || off > 4.6e18)
    fail(path, "vox_offset " + number(off) + " is impossible: the voxel data must start at a whole byte " +
                   (r.one_file ? "at or after the end of the " + std::to_string(r.header_bytes) + "-byte header"
                               : std::string("offset of the image file")));
  r.vox_offset = static_cast<std::uint64_t>(off);
}

// The fields that place the volume in space.
template <class H>
void check_geometry_fields(const H& h, int version, const std::string& path) {
  for (int k = 1; k <= 3; ++k)
    if (!std::isfinite(h.pixdim[k]) || h.pixdim[k] == 0)
      fail(path, "pixdim[" + std::to_string(k) + "] = " + number(h.pixdim[k]) +
                     ": the voxel size must be finite and non-zero");
  if (version == 0) return;  // ANALYZE: no qform or sform (nifticlib ignores those bytes)
  if (h.qform_code > 0)
    for (double v : {double(h.quatern_b), double(h.quatern_c), double(h.quatern_d), double(h.qoffset_x),
                     double(h.qoffset_y), double(h.qoffset_z)})
      if (!std::isfinite(v)) fail(path, "the qform holds a value that is not finite (" + number(v) + ")");
  if (h.sform_code > 0) {
    double m[3][4];
    for (int c = 0; c < 4; ++c) {
      m[0][c] = h.srow_x[c];
      m[1][c] = h.srow_y[c];
      m[2][c] = h.srow_z[c];
    }
    for (auto& row : m)
      for (double v : row)
        if (!std::isfinite(v)) fail(path, "the sform holds a value that is not finite (" + number(v) + ")");
    const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                       m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                       m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    double scale = 1;
    for (int c = 0; c < 3; ++c) scale *= std::sqrt(m[0][c] * m[0][c] + m[1][c] * m[1][c] + m[2][c] * m[2][c]);
    if (!(std::fabs(det) > 1e-12 * scale) || scale == 0)
      fail(path, "the sform is singular (its 3x3 part has determinant " + number(det) +
                     "): it maps the volume onto a plane");
  }
}

// Bytes of the header file after the header that may hold extensions:
// up to vox_offset in a single file; up to the end of a plain .hdr; none in
// a gzipped .hdr (nifticlib reads none there either: its size is unknown).
std::uint64_t extension_region(const RawHeader& h, const std::string& path) {
  if (h.one_file) return h.vox_offset - h.header_bytes;
  if (h.gzip) return 0;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  return size > h.header_bytes ? size - h.header_bytes : 0;
}

// Walks the extensions in the `region` bytes after the header, read from
// `src` (positioned just after the header). on_ext(esize, ecode, src) must
// consume the esize - 8 bytes of each. Refuses esize below 16, not a
// multiple of 16, or past the region; 8 zero bytes followed by zeros to the
// end of the region are padding, not an extension.
template <class F>
void walk_extensions(ByteSource& src, std::uint64_t region, bool swapped, const std::string& path,
                     bool one_file, F on_ext) {
  if (region < 4) return;  // the data starts right after the header: no extender
  unsigned char extender[4];
  src.read_exact(extender, 4);
  if (extender[0] != 1) return;  // no extensions (nifticlib's rule)
  std::uint64_t left = region - 4;
  const std::string end = one_file ? "vox_offset" : "the end of the header file";
  std::vector<unsigned char> zeros;
  for (std::uint64_t count = 1; left >= 8; ++count) {
    std::int32_t head[2];
    src.read_exact(head, 8);
    left -= 8;
    const std::int32_t esize = swapped ? bswap32(head[0]) : head[0];
    const std::int32_t ecode = swapped ? bswap32(head[1]) : head[1];
    const std::string which = "extension " + std::to_string(count) + " (code " + std::to_string(ecode) +
                              ", esize " + std::to_string(esize) + ")";
    if (esize == 0 && ecode == 0) {  // padding, if zeros follow to the end
      zeros.resize(65536);
      while (left > 0) {
        const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
        src.read_exact(zeros.data(), step);
        for (std::size_t i = 0; i < step; ++i)
          if (zeros[i] != 0) fail(path, which + " is malformed: esize must be at least 16");
        left -= step;
      }
      return;
    }
    if (esize < 16) fail(path, which + " is malformed: esize must be at least 16");
    if (esize % 16 != 0) fail(path, which + " is malformed: esize must be a multiple of 16");
    if (static_cast<std::uint64_t>(esize) - 8 > left)
      fail(path, which + " runs past " + end + " (" + std::to_string(left) + " bytes were left)");
    on_ext(esize, ecode, src);
    left -= static_cast<std::uint64_t>(esize) - 8;
  }
}

}  // namespace

RawHeader read_raw_header(const std::string& path) {
  RawHeader r;
  std::unique_ptr<ByteSource> src = open_byte_source(path, 0);
  r.gzip = src->is_gzip();
  unsigned char first[4];
  read_header_bytes(*src, first, 4, 0, path);
  if (first[0] == 0x1f && first[1] == 0x8b)
    fail(path, "the file is gzip-compressed twice (gunzip it once, and it is a .nii.gz)");
  std::int32_t sizeof_hdr;
  std::memcpy(&sizeof_hdr, first, 4);
  if (sizeof_hdr == 348 || bswap32(sizeof_hdr) == 348) {
    r.swapped = sizeof_hdr != 348;
    r.header_bytes = 348;
    std::memcpy(&r.n1, first, 4);
    read_header_bytes(*src, reinterpret_cast<unsigned char*>(&r.n1) + 4, 344, 4, path);
    const char* mg = r.n1.magic;
    if (mg[0] == 'n' && (mg[1] == '+' || mg[1] == 'i') && mg[2] == '1' && mg[3] == '\0') {
      r.version = 1;
      r.one_file = mg[1] == '+';
    } else {
      r.version = 0;  // ANALYZE 7.5: always a pair
      r.one_file = false;
    }
  } else if (sizeof_hdr == 540 || bswap32(sizeof_hdr) == 540) {
    r.swapped = sizeof_hdr != 540;
    r.header_bytes = 540;
    r.version = 2;
    std::memcpy(&r.n2, first, 4);
    read_header_bytes(*src, reinterpret_cast<unsigned char*>(&r.n2) + 4, 536, 4, path);
    const char* mg = r.n2.magic;
    if (!(mg[0] == 'n' && (mg[1] == '+' || mg[1] == 'i') && mg[2] == '2' && mg[3] == '\0'))
      fail(path, "not a NIfTI-2 header (a 540-byte header must say n+2 or ni2)");
    r.one_file = mg[1] == '+';
  } else {
    fail(path, "not a NIfTI-1/NIfTI-2 header (bad magic: sizeof_hdr is " + std::to_string(sizeof_hdr) +
                   ", not 348 or 540)");
  }
  with_native_header(r, [&](const auto& h) { check_layout(h, r, path); });
  try {
    walk_extensions(*src, extension_region(r, path), r.swapped, path, r.one_file,
                    [&](std::int32_t esize, std::int32_t, ByteSource& s) {
                      s.skip(static_cast<std::uint64_t>(esize) - 8);
                      r.extension_count += 1;
                      r.extension_bytes += static_cast<std::uint64_t>(esize);
                    });
  } catch (const Error& e) {
    if (std::strstr(e.what(), "truncated") == nullptr) throw;
    fail(path, "the file ends inside its header extensions, before vox_offset " + std::to_string(r.vox_offset));
  }
  return r;
}

void check_geometry(const RawHeader& r, const std::string& path) {
  with_native_header(r, [&](const auto& h) { check_geometry_fields(h, r.version, path); });
}

void copy_extensions(const std::string& path, const RawHeader& h, ByteSink& sink) {
  if (h.extension_count == 0) return;
  std::unique_ptr<ByteSource> src = open_byte_source(path, h.header_bytes);
  std::vector<unsigned char> buf(65536);
  std::uint64_t count = 0, bytes = 0;
  walk_extensions(*src, extension_region(h, path), h.swapped, path, h.one_file,
                  [&](std::int32_t esize, std::int32_t ecode, ByteSource& s) {
                    const std::int32_t head[2] = {esize, ecode};
                    sink.write(head, 8);
                    for (std::uint64_t left = static_cast<std::uint64_t>(esize) - 8; left > 0;) {
                      const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
                      s.read_exact(buf.data(), step);
                      sink.write(buf.data(), step);
                      left -= step;
                    }
                    count += 1;
                    bytes += static_cast<std::uint64_t>(esize);
                  });
  if (count != h.extension_count || bytes != h.extension_bytes)
    fail(path, "the header's extensions changed while respace was reading the file");
}

}  // namespace respace
