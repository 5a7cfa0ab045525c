// SPDX-License-Identifier: MIT
#include "engine/target.hpp"

#include <cmath>

#include "io/error.hpp"

namespace respace {
namespace {

[[noreturn]] void usage(const std::string& what) { throw Error(ExitCode::usage, what); }

const char* axis_name(int k) { return k == 0 ? "x" : k == 1 ? "y" : "z"; }

Mat4 translation(const std::array<std::int64_t, 3>& t) {
  Mat4 m = identity4();
  for (int k = 0; k < 3; ++k) m[k][3] = static_cast<double>(t[k]);
  return m;
}

void snap(Mat4& v) {
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) {
      const double i = std::round(v[r][c]);
      if (std::fabs(v[r][c] - i) <= 1e-9) v[r][c] = i;
    }
}

}  // namespace

Mat4 invert(const Mat4& m, const std::string& what) {
  // Gauss-Jordan with partial pivoting on [m | I].
  double a[4][8];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 8; ++c) a[r][c] = c < 4 ? m[r][c] : (c - 4 == r ? 1.0 : 0.0);
  double scale = 0;
  for (const auto& row : m)
    for (double x : row) scale = std::max(scale, std::fabs(x));
  for (int c = 0; c < 4; ++c) {
    int p = c;
    for (int r = c + 1; r < 4; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[p][c])) p = r;
    if (!(std::fabs(a[p][c]) > 1e-12 * scale)) usage(what + " is singular (it cannot be inverted)");
    if (p != c)
      for (int k = 0; k < 8; ++k) std::swap(a[p][k], a[c][k]);
    const double d = a[c][c];
    for (int k = 0; k < 8; ++k) a[c][k] /= d;
    for (int r = 0; r < 4; ++r) {
      if (r == c || a[r][c] == 0.0) continue;
      const double f = a[r][c];
      for (int k = 0; k < 8; ++k) a[r][k] -= f * a[c][k];
    }
  }
  Mat4 inv{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) inv[r][c] = a[r][c + 4];
  return inv;
}

CropBox crop_from_world(const InputGeometry& in, const std::array<double, 3>& x0, const std::array<double, 3>& x1) {
  const Mat4 to_index = invert(in.primary, "the input's affine");
  std::array<double, 3> p0{}, p1{};
  for (int r = 0; r < 3; ++r) {
    p0[r] = to_index[r][3];
    p1[r] = to_index[r][3];
    for (int c = 0; c < 3; ++c) {
      p0[r] += to_index[r][c] * x0[c];
      p1[r] += to_index[r][c] * x1[c];
    }
  }
  CropBox box;
  for (int k = 0; k < 3; ++k) {
    const auto lo = static_cast<std::int64_t>(std::max(0.0, std::ceil(std::min(p0[k], p1[k]) - 1e-9)));
    const auto hi = static_cast<std::int64_t>(
        std::min(static_cast<double>(in.n[k] - 1), std::floor(std::max(p0[k], p1[k]) + 1e-9)));
    if (hi < lo)
      usage(std::string("--crop-mm: no voxel centre of the input lies between the two points along ") + axis_name(k));
    box.first[k] = lo;
    box.size[k] = hi - lo + 1;
  }
  return box;
}

TargetPlan plan_target(const InputGeometry& in, const TargetRequest& req) {
  InputGeometry c = in;  // the image being resampled: the crop, or the input
  std::array<std::int64_t, 3> first{};
  if (req.crop) {
    for (int k = 0; k < 3; ++k) {
      const std::int64_t f = req.crop->first[k], s = req.crop->size[k];
      // f > n - s, not f + s > n: f + s may overflow.
      if (f < 0 || s < 1 || s > in.n[k] || f > in.n[k] - s)
        usage(std::string("--crop: the ") + axis_name(k) + " box from " + std::to_string(f) + ", " +
              std::to_string(s) + " voxels long, is not inside the input's 0.." + std::to_string(in.n[k]));
      first[k] = f;
      c.n[k] = s;
    }
    const Mat4 t = translation(first);
    c.primary = multiply(in.primary, t);
    c.qform = multiply(in.qform, t);
    c.sform = multiply(in.sform, t);
  }

  TargetPlan plan;
  GridPlan& g = plan.grid;
  if (req.like) {
    const InputGeometry& ref = *req.like;
    g.policy = GridPolicy::center;
    for (int k = 0; k < 3; ++k) {
      AxisMap& ax = g.axis[k];
      ax.n = c.n[k];
      ax.m = ref.n[k];
      ax.spacing_in = column_norm(c.primary, k);
      ax.spacing_out = ax.target = column_norm(ref.primary, k);
      g.pixdim_out[k] = ref.pixdim[k];
    }
    g.primary_out = ref.primary;
    g.qform_out = ref.has_qform ? ref.qform : ref.primary;
    g.sform_out = ref.has_sform ? ref.sform : ref.primary;
  } else {
    g = plan_grid(c, req.grid);
  }
  for (int k = 0; k < 3; ++k) g.origin_shift_mm[k] = g.primary_out[k][3] - c.primary[k][3];

  if (!req.like && !req.world) {
    plan.voxel_map = g.M;  // exactly the grid plan's map: no inversion noise
  } else {
    const Mat4 w = req.world.value_or(identity4());
    plan.voxel_map = multiply(invert(c.primary, "the input's affine"), multiply(w, g.primary_out));
    snap(plan.voxel_map);
  }
  const Mat4& v = plan.voxel_map;

  bool diagonal = true, positive = true;
  for (int r = 0; r < 3; ++r)
    for (int col = 0; col < 3; ++col) {
      if (r != col && v[r][col] != 0.0) diagonal = false;
      if (r == col && !(v[r][col] > 0.0)) positive = false;
    }
  plan.separable = diagonal && positive;
  for (int k = 0; k < 3; ++k) {
    AxisMap& ax = g.axis[k];
    ax.first = first[k];
    ax.stored = in.n[k];
    if (plan.separable && (req.like || req.world)) {
      ax.r = v[k][k];
      ax.a = v[k][3];
    }
  }
  if (plan.separable)
    plan.why = "separable: the output axes lie along the input's axes (the voxel map is diagonal)";
  else if (diagonal)
    plan.why = "general: the voxel map flips an axis";
  else
    plan.why = "general: the voxel map mixes axes (rotation, oblique relation or permutation)";
  return plan;
}

}  // namespace respace
