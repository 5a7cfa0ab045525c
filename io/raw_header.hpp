// SPDX-License-Identifier: MIT
// The header of a NIfTI file as stored, read and checked by respace itself
// before nifticlib converts it, because nifticlib repairs what it should
// refuse (a dim of 0 becomes 1, a pixdim of NaN becomes 1, a vox_offset
// inside the header becomes 348) and reads every extension into memory.
//
// read_raw_header() reads the first 348 or 540 bytes through a ByteSource
// (so gzip is recognised by its magic bytes whatever the file is called),
// decides the version and byte order from sizeof_hdr, and checks every field
// that positions or sizes data, with 64-bit overflow-checked arithmetic:
// dim[0] in 1..7, dim[1..dim[0]] >= 1, the data's byte count below 2^63,
// vox_offset finite, whole and past the header (single files);
// check_geometry() then checks the fields that place it in space. It walks the extensions without holding them
// (walk_extensions) so a malformed one is refused up front and their total
// size is known to the planner. Each fault throws Error(bad_input) naming the
// file and the field.
//
// Extensions are never held in memory: the output copies them from the input
// through copy_extensions(), a fixed 64 KiB at a time.
//
// Thread safety: pure functions; each call opens its own source.
#pragma once

#include <nifti/nifti2_io.h>

#include <cstdint>
#include <string>

namespace respace {

class ByteSink;

struct RawHeader {
  int version = 0;         // 1 (NIfTI-1), 2 (NIfTI-2), 0 (ANALYZE 7.5)
  bool swapped = false;    // stored in the other byte order
  bool one_file = true;    // .nii (magic n+1/n+2), else a .hdr/.img pair
  bool gzip = false;       // the header file is gzip-compressed
  // The header as stored (byte order of the file): what nifticlib converts.
  nifti_1_header n1{};
  nifti_2_header n2{};
  std::uint64_t header_bytes = 348;  // 348 or 540
  std::uint64_t vox_offset = 0;      // checked: whole, >= header_bytes for one file
  // Extensions: `extension_count` blocks, `extension_bytes` in all (esize
  // summed), in the header file from byte header_bytes + 4.
  std::uint64_t extension_count = 0;
  std::uint64_t extension_bytes = 0;
};

// Calls f(header) with a copy of h's header (nifti_1_header for NIfTI-1 and
// ANALYZE, nifti_2_header for NIfTI-2) in this machine's byte order.
template <class F>
void with_native_header(const RawHeader& h, F f) {
  if (h.header_bytes == 348) {
    nifti_1_header n1 = h.n1;
    if (h.swapped) swap_nifti_header(&n1, h.version);
    f(static_cast<const nifti_1_header&>(n1));
  } else {
    nifti_2_header n2 = h.n2;
    if (h.swapped) swap_nifti_header(&n2, 2);
    f(static_cast<const nifti_2_header&>(n2));
  }
}

// Reads and checks the header of `header_path` (the .nii, or the .hdr of a
// pair). Throws Error(bad_input).
RawHeader read_raw_header(const std::string& header_path);

// The fields that place the volume in space: pixdim[1..3] finite and
// non-zero, the qform's numbers finite (qform_code > 0), the sform's finite
// and not singular (sform_code > 0). Separate from read_raw_header() so the
// caller can first refuse what is not a volume at all (CIFTI, complex data).
void check_geometry(const RawHeader& h, const std::string& path);

// Copies the extensions of `header_path` (as read_raw_header found them) to
// `sink`: each one's esize and ecode in this machine's byte order, then its
// bytes unchanged. Throws Error(bad_input) if the file changed meanwhile.
void copy_extensions(const std::string& header_path, const RawHeader& h, ByteSink& sink);

}  // namespace respace
