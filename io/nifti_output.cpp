// SPDX-License-Identifier: MIT
#include "io/nifti_output.hpp"

#include <cstring>
#include <type_traits>

#include "io/error.hpp"

namespace respace {
namespace {

void append(std::vector<unsigned char>& out, const void* p, std::size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  out.insert(out.end(), b, b + n);
}

// nifticlib writes the quaternion and the srow rows only when their code is
// set; SPEC §5 wants them written as transformed (quaternion unchanged,
// offset and srow = the new grid) whatever the codes say.
template <class Header>
void set_text(Header& h, const OutputGrid& grid) {
  if (!grid.text) return;
  std::memcpy(h.descrip, grid.text->descrip, sizeof h.descrip);
  std::memcpy(h.aux_file, grid.text->aux_file, sizeof h.aux_file);
  std::memcpy(h.intent_name, grid.text->intent_name, sizeof h.intent_name);
}

template <class Header, class Real>
void set_transforms(Header& h, const nifti_image& nim, const OutputGrid& grid) {
  const Quaternion q = grid.quaternion.value_or(Quaternion{nim.quatern_b, nim.quatern_c, nim.quatern_d, nim.qfac});
  h.quatern_b = static_cast<Real>(q.b);
  h.quatern_c = static_cast<Real>(q.c);
  h.quatern_d = static_cast<Real>(q.d);
  if (grid.quaternion) h.pixdim[0] = static_cast<Real>(q.qfac < 0 ? -1.0 : 1.0);
  if (grid.qform_sform_codes) {
    h.qform_code = static_cast<decltype(h.qform_code)>((*grid.qform_sform_codes)[0]);
    h.sform_code = static_cast<decltype(h.sform_code)>((*grid.qform_sform_codes)[1]);
  }
  h.qoffset_x = static_cast<Real>(grid.qoffset[0]);
  h.qoffset_y = static_cast<Real>(grid.qoffset[1]);
  h.qoffset_z = static_cast<Real>(grid.qoffset[2]);
  for (int c = 0; c < 4; ++c) {
    h.srow_x[c] = static_cast<Real>(grid.sform[0][c]);
    h.srow_y[c] = static_cast<Real>(grid.sform[1][c]);
    h.srow_z[c] = static_cast<Real>(grid.sform[2][c]);
  }
}

// --like: REF's geometry as stored (the space bits of xyzt_units with it).
template <class Header>
void set_geometry(Header& h, const OutputGrid& grid) {
  if (!grid.geometry) return;
  const RawGeometry& g = *grid.geometry;
  each_geometry_field(h, g, [](auto& field, const auto& value) {
    field = static_cast<std::remove_reference_t<decltype(field)>>(value);
  });
  h.xyzt_units = static_cast<decltype(h.xyzt_units)>((h.xyzt_units & ~0x07) | (g.xyzt_units & 0x07));
}

}  // namespace

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

OutputNames output_names(const std::string& path) {
  auto stem = [&](std::size_t n) { return path.substr(0, path.size() - n); };
  if (ends_with(path, ".nii.gz")) return {path, path, true};
  if (ends_with(path, ".nii")) return {path, path, false};
  if (ends_with(path, ".hdr.gz") || ends_with(path, ".img.gz"))
    return {stem(7) + ".hdr.gz", stem(7) + ".img.gz", true};
  if (ends_with(path, ".hdr") || ends_with(path, ".img")) return {stem(4) + ".hdr", stem(4) + ".img", false};
  throw Error(ExitCode::usage, path + ": the output name must end in .nii, .nii.gz, .hdr, .img, "
                                      ".hdr.gz or .img.gz");
}

SerializedHeader serialize_header(const nifti_image& input, const OutputGrid& grid, int version,
                                  bool pair, ExtensionSize extensions) {
  nifti_image nim = input;  // shallow copy: only value fields are changed below
  nim.nx = nim.dim[1] = grid.dims[0];
  nim.ny = nim.dim[2] = grid.dims[1];
  nim.nz = nim.dim[3] = grid.dims[2];
  // A 2-D (or 1-D) input stays so while the output's extra axes are 1 voxel.
  const int needed = grid.dims[2] > 1 ? 3 : grid.dims[1] > 1 ? 2 : 1;
  if (nim.dim[0] < needed) nim.dim[0] = nim.ndim = needed;
  nim.nvox = 1;
  for (int d = 1; d <= nim.dim[0]; ++d) nim.nvox *= nim.dim[d];
  nim.dx = nim.pixdim[1] = grid.pixdim[0];
  nim.dy = nim.pixdim[2] = grid.pixdim[1];
  nim.dz = nim.pixdim[3] = grid.pixdim[2];
  nim.qoffset_x = grid.qoffset[0];
  nim.qoffset_y = grid.qoffset[1];
  nim.qoffset_z = grid.qoffset[2];
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) nim.sto_xyz.m[r][c] = grid.sform[r][c];
  if (grid.reset_slice_timing) {
    nim.slice_code = 0;
    nim.slice_start = 0;
    nim.slice_end = 0;
  }
  nim.datatype = grid.datatype;
  nifti_datatype_sizes(nim.datatype, &nim.nbyper, &nim.swapsize);

  bool needs_v2 = false;
  for (int d = 1; d <= 7; ++d) needs_v2 |= nim.dim[d] > 32767;
  SerializedHeader out;
  out.version = (version == 2 || needs_v2) ? 2 : 1;

  const std::uint64_t ext_bytes = extensions.bytes;

  if (out.version == 1) {
    nim.nifti_type = pair ? NIFTI_FTYPE_NIFTI1_2 : NIFTI_FTYPE_NIFTI1_1;
    nifti_1_header h;
    if (nifti_convert_nim2n1hdr(&nim, &h) != 0) throw Error(ExitCode::internal, "cannot build the NIfTI-1 header");
    out.vox_offset = pair ? 0 : sizeof(h) + 4 + ext_bytes;
    h.vox_offset = static_cast<float>(out.vox_offset);
    set_transforms<nifti_1_header, float>(h, nim, grid);
    set_geometry(h, grid);
    set_text(h, grid);
    append(out.bytes, &h, sizeof h);
  } else {
    nim.nifti_type = pair ? NIFTI_FTYPE_NIFTI2_2 : NIFTI_FTYPE_NIFTI2_1;
    nifti_2_header h;
    if (nifti_convert_nim2n2hdr(&nim, &h) != 0) throw Error(ExitCode::internal, "cannot build the NIfTI-2 header");
    out.vox_offset = pair ? 0 : sizeof(h) + 4 + ext_bytes;
    h.vox_offset = static_cast<std::int64_t>(out.vox_offset);
    set_transforms<nifti_2_header, double>(h, nim, grid);
    set_geometry(h, grid);
    set_text(h, grid);
    append(out.bytes, &h, sizeof h);
  }
  const unsigned char extender[4] = {static_cast<unsigned char>(extensions.count > 0 ? 1 : 0), 0, 0, 0};
  append(out.bytes, extender, 4);
  return out;
}

}  // namespace respace
