// SPDX-License-Identifier: MIT
#include "cli/input_geometry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "io/error.hpp"

namespace respace {
namespace {

Mat4 to_mat4(const nifti_dmat44& m) {
  Mat4 r{};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) r[i][j] = m.m[i][j];
  return r;
}

// The farthest apart the qform and the sform put one of the volume's eight
// corner voxels, in mm.
double transform_disagreement_mm(const InputGeometry& g) {
  double worst = 0;
  for (int c = 0; c < 8; ++c) {
    double d2 = 0;
    for (int r = 0; r < 3; ++r) {
      double dq = g.qform[r][3], ds = g.sform[r][3];
      for (int k = 0; k < 3; ++k) {
        const double i = (c >> k) & 1 ? static_cast<double>(g.n[k] - 1) : 0.0;
        dq += g.qform[r][k] * i;
        ds += g.sform[r][k] * i;
      }
      d2 += (dq - ds) * (dq - ds);
    }
    worst = std::max(worst, std::sqrt(d2));
  }
  return worst;
}

}  // namespace

InputGeometry geometry_of(const nifti_image& h) {
  InputGeometry g;
  g.n = {h.nx, h.ny, h.nz};
  g.pixdim = {h.dx, h.dy, h.dz};
  g.has_qform = h.qform_code > 0;
  g.has_sform = h.sform_code > 0;
  if (g.has_qform) g.qform = to_mat4(h.qto_xyz);
  if (g.has_sform) g.sform = to_mat4(h.sto_xyz);
  if (g.has_sform) {
    g.primary = g.sform;
  } else if (g.has_qform) {
    g.primary = g.qform;
  } else {
    g.primary = identity4();
    for (int k = 0; k < 3; ++k) g.primary[k][k] = g.pixdim[k];
  }
  return g;
}

InputTransforms input_transforms(const nifti_image& h, const std::string& name, std::optional<XformSource> source) {
  InputTransforms t;
  t.geometry = geometry_of(h);
  InputGeometry& geo = t.geometry;
  if (geo.has_qform && geo.has_sform) {
    t.disagreement_mm = transform_disagreement_mm(geo);
    bool sizes_differ = false;
    for (int k = 0; k < 3; ++k) {
      const double q = column_norm(geo.qform, k), s = column_norm(geo.sform, k);
      sizes_differ |= std::fabs(q - s) > 1e-4 * std::max(q, s);
    }
    double voxel = column_norm(geo.sform, 0);
    for (int k = 1; k < 3; ++k) voxel = std::min(voxel, column_norm(geo.sform, k));
    if (sizes_differ || t.disagreement_mm > 1e-3 * voxel) {
      char mm[32];
      std::snprintf(mm, sizeof mm, "%.4g", t.disagreement_mm);
      t.warning = name + ": the qform and sform disagree by up to " + mm + " mm (at the volume's corners" +
                  (sizes_differ ? ", voxel sizes included" : "") + "); " +
                  (source ? std::string("both output transforms come from the ") +
                                (*source == XformSource::sform ? "sform" : "qform") + " (--xform-source)"
                          : std::string("the sform is used, each is kept; --xform-source sform|qform makes them one"));
    }
  }
  if (source) {
    const bool q = *source == XformSource::qform;
    const std::string form = q ? "qform" : "sform";
    if (q ? !geo.has_qform : !geo.has_sform)
      throw Error(ExitCode::usage, name + ": --xform-source " + form + ": the input has no " + form + " (its code is 0)");
    const Mat4 chosen = q ? geo.qform : geo.sform;
    geo.primary = geo.qform = geo.sform = chosen;
    for (int k = 0; k < 3; ++k) geo.pixdim[static_cast<std::size_t>(k)] = column_norm(chosen, k);
  }
  return t;
}

}  // namespace respace
