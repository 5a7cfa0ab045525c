// SPDX-License-Identifier: MIT
// The output side of a NIfTI file: the header of the resampled volume is the
// input's nifti_image with the grid fields replaced, serialised by
// nifticlib's own conversion (nifti_convert_nim2n1hdr / n2hdr), followed by
// the input's extensions copied byte for byte by the caller (they are
// streamed from the input, io/raw_header.hpp, never held). Every field SPEC §5 lists as
// "copied unchanged" is therefore copied by construction.
//
// Thread safety: pure functions.
#pragma once

#include <nifti/nifti2_io.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace respace {

// Text fields as the input file stores them: nifticlib's image keeps them
// NUL-terminated, which would cut a 24-character aux_file (legal, unterminated)
// to 23; these are copied into the output header byte for byte.
struct RawText {
  char descrip[80] = {};
  char aux_file[24] = {};
  char intent_name[16] = {};
};

// The geometry fields of a header as the file stores them (--like REF: the
// output takes REF's, bit for bit; nifticlib's image zeroes some of them
// when their code is 0).
struct RawGeometry {
  double pixdim[4] = {};   // qfac, dx, dy, dz
  double quatern[3] = {};  // b, c, d
  double qoffset[3] = {};
  double srow[3][4] = {};
  int qform_code = 0, sform_code = 0, xyzt_units = 0;
};

// Calls f(header field, RawGeometry field) for each geometry field but
// xyzt_units (only its space bits go with --like): the one list both the
// reader (io/nifti_header.cpp) and the writer (io/nifti_output.cpp) use.
// Header: nifti_1_header or nifti_2_header, const or not, as is Geometry.
template <class Header, class Geometry, class F>
void each_geometry_field(Header& h, Geometry& g, F f) {
  for (int i = 0; i < 4; ++i) f(h.pixdim[i], g.pixdim[i]);
  f(h.quatern_b, g.quatern[0]);
  f(h.quatern_c, g.quatern[1]);
  f(h.quatern_d, g.quatern[2]);
  f(h.qoffset_x, g.qoffset[0]);
  f(h.qoffset_y, g.qoffset[1]);
  f(h.qoffset_z, g.qoffset[2]);
  for (int c = 0; c < 4; ++c) {
    f(h.srow_x[c], g.srow[0][c]);
    f(h.srow_y[c], g.srow[1][c]);
    f(h.srow_z[c], g.srow[2][c]);
  }
  f(h.qform_code, g.qform_code);
  f(h.sform_code, g.sform_code);
}

// The grid part of the output header (everything else comes from the input).
// A qform rotation written instead of the input's (--xform-source).
struct Quaternion {
  double b = 0, c = 0, d = 0, qfac = 1;
};

struct OutputGrid {
  std::array<std::int64_t, 3> dims{};
  std::array<double, 3> pixdim{};
  std::array<double, 3> qoffset{};                 // new qform origin
  std::array<std::array<double, 4>, 3> sform{};    // rows of the new sform
  bool reset_slice_timing = false;                 // slice axis resampled
  int datatype = 0;
  const RawText* text = nullptr;                   // the input's text fields, if known
  const RawGeometry* geometry = nullptr;           // --like: REF's geometry fields, written as they are
  std::optional<Quaternion> quaternion;            // default: the input's quaternion and qfac
  // Codes written instead of the input's (--header-spacing requested writes
  // nibabel's: sform 2 "aligned", qform 0 "unknown", as the script's save).
  std::optional<std::array<int, 2>> qform_sform_codes;
};

// Where the output goes, decided by the name: X.nii, X.nii.gz, or a pair
// X.hdr + X.img (also named by X.img), or X.hdr.gz + X.img.gz.
struct OutputNames {
  std::string header;
  std::string image;  // equal to header for single-file outputs
  bool gzip = false;
  bool pair() const { return header != image; }
};

// True when `s` ends with `suffix` (file-name extensions).
bool ends_with(const std::string& s, const std::string& suffix);

// Throws Error(usage) for a name with none of the extensions above.
OutputNames output_names(const std::string& path);

struct SerializedHeader {
  std::vector<unsigned char> bytes;  // header + extender; the extensions follow (copy_extensions)
  std::uint64_t vox_offset = 0;      // where the data starts in the image file
  int version = 1;                   // 1 or 2
};

// The input's extensions, which the writer streams after the header.
struct ExtensionSize {
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
};

// `version` is the input's NIfTI version; NIfTI-2 is chosen when a dimension
// exceeds the NIfTI-1 limit of 32767. vox_offset leaves room for `extensions`.
SerializedHeader serialize_header(const nifti_image& input, const OutputGrid& grid, int version,
                                  bool pair, ExtensionSize extensions = {});

}  // namespace respace
