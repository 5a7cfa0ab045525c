// SPDX-License-Identifier: MIT
#include "engine/geometry.hpp"

#include <cmath>
#include <cstdio>

#include "io/error.hpp"

namespace respace {
namespace {

[[noreturn]] void usage(const std::string& what) { throw Error(ExitCode::usage, what); }

const char* axis_name(int k) { return k == 0 ? "x" : k == 1 ? "y" : "z"; }

}  // namespace

Mat4 identity4() {
  Mat4 m{};
  for (int i = 0; i < 4; ++i) m[i][i] = 1;
  return m;
}

Mat4 multiply(const Mat4& a, const Mat4& b) {
  Mat4 c{};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      double s = 0;
      for (int k = 0; k < 4; ++k) s += a[i][k] * b[k][j];
      c[i][j] = s;
    }
  return c;
}

const char* to_string(GridPolicy p) {
  switch (p) {
    case GridPolicy::center: return "center";
    case GridPolicy::origin: return "origin";
    case GridPolicy::fov: return "fov";
    case GridPolicy::corners: return "corners";
  }
  return "?";
}

std::optional<GridPolicy> parse_grid_policy(const std::string& s) {
  for (GridPolicy p : {GridPolicy::center, GridPolicy::origin, GridPolicy::fov, GridPolicy::corners})
    if (s == to_string(p)) return p;
  return std::nullopt;
}

const char* to_string(SizeRounding r) {
  switch (r) {
    case SizeRounding::half_up: return "half-up";
    case SizeRounding::half_even: return "half-even";
    case SizeRounding::itk: return "itk";
  }
  return "?";
}

std::optional<SizeRounding> parse_size_rounding(const std::string& s) {
  for (SizeRounding r : {SizeRounding::half_up, SizeRounding::half_even, SizeRounding::itk})
    if (s == to_string(r)) return r;
  return std::nullopt;
}

const char* to_string(HeaderSpacing h) { return h == HeaderSpacing::used ? "used" : "requested"; }

std::optional<HeaderSpacing> parse_header_spacing(const std::string& s) {
  for (HeaderSpacing h : {HeaderSpacing::used, HeaderSpacing::requested})
    if (s == to_string(h)) return h;
  return std::nullopt;
}

double column_norm(const Mat4& a, int k) {
  return std::sqrt(a[0][k] * a[0][k] + a[1][k] * a[1][k] + a[2][k] * a[2][k]);
}

std::int64_t output_size(std::int64_t n, double s, double t, SizeRounding rounding) {
  // Each rule computes x as its peer does: scipy's zoom multiplies n by the
  // zoom factor s/t; the others divide n * s by t. The peers' rules are
  // reproduced as they are, float noise included.
  const double x = rounding == SizeRounding::half_even ? static_cast<double>(n) * (s / t)
                                                        : static_cast<double>(n) * s / t;
  if (!(x <= kMaxOutputDim)) return kMaxOutputDim + 1;  // the caller refuses it (also inf and NaN)
  double m = 0;
  switch (rounding) {
    case SizeRounding::half_up: {
      const double nearest = std::round(x);
      m = std::fabs(x - nearest) <= 1e-6 * std::max(1.0, x) ? nearest : std::floor(x + 0.5);
      break;
    }
    case SizeRounding::half_even: m = std::nearbyint(x); break;  // the default rounding mode: to even
    case SizeRounding::itk: m = std::round(x + 0.5); break;
  }
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(m));
}

GridPlan plan_grid(const InputGeometry& in, const GridRequest& req) {
  GridPlan plan;
  const bool both = req.size && req.any_spacing();  // spacing exact, size as given
  plan.policy = req.policy.value_or(req.size && !both ? GridPolicy::fov : GridPolicy::center);
  if (both && (plan.policy == GridPolicy::fov || plan.policy == GridPolicy::corners))
    usage(std::string("--grid ") + to_string(plan.policy) +
          " derives the spacing from the size: give a spacing or --size with it, not both");
  for (int k = 0; k < 3; ++k) {
    AxisMap& ax = plan.axis[k];
    ax.n = in.n[k];
    ax.spacing_in = column_norm(in.primary, k);
    if (!(ax.spacing_in > 0) || !std::isfinite(ax.spacing_in))
      usage(std::string("the input's ") + axis_name(k) + " spacing is zero or not finite");
    double t = ax.spacing_in;
    if (req.spacing[k]) {
      t = *req.spacing[k];
      if (!(t > 0) || !std::isfinite(t)) usage(std::string("--") + axis_name(k) + "-spacing must be positive");
      if (std::fabs(t - ax.spacing_in) <= 1e-6 * ax.spacing_in) t = ax.spacing_in;
    }
    ax.target = t;
    ax.m = req.size ? (*req.size)[k] : output_size(ax.n, ax.spacing_in, t, req.rounding);
    if (ax.m < 1) usage("--size values must be at least 1");
    if (ax.m > kMaxOutputDim) {
      char what[200];
      if (req.size)
        std::snprintf(what, sizeof what, "--size %lld along %s is more than 2^62 voxels",
                      static_cast<long long>(ax.m), axis_name(k));
      else
        std::snprintf(what, sizeof what,
                      "the %s spacing %g mm (--spacing or --%s-spacing) would make the output %.3g voxels "
                      "along %s, more than 2^62; spacings are in mm",
                      axis_name(k), t, axis_name(k), static_cast<double>(ax.n) * ax.spacing_in / t, axis_name(k));
      usage(what);
    }
    const double n = static_cast<double>(ax.n), m = static_cast<double>(ax.m);
    switch (plan.policy) {
      case GridPolicy::center:
      case GridPolicy::origin:
        // With --size alone the spacing follows from the size: r = n/m
        // keeps the FOV length; otherwise r = t/s.
        ax.r = req.size && !both ? (ax.m == ax.n ? 1.0 : n / m) : (t == ax.spacing_in ? 1.0 : t / ax.spacing_in);
        ax.a = plan.policy == GridPolicy::center ? (n - 1) / 2 - (m - 1) / 2 * ax.r : 0.0;
        break;
      case GridPolicy::fov:
        ax.r = ax.m == ax.n ? 1.0 : n / m;
        ax.a = -0.5 + ax.r / 2;
        break;
      case GridPolicy::corners:
        if (ax.m == ax.n) {
          ax.r = 1;
        } else if (ax.n < 2 || ax.m < 2) {
          usage(std::string("--grid corners needs at least 2 input and 2 output voxels on the ") +
                axis_name(k) + " axis");
        } else {
          ax.r = (n - 1) / (m - 1);
        }
        ax.a = 0;
        break;
    }
    ax.spacing_out = ax.spacing_in * ax.r;
    plan.M[k][k] = ax.r;
    plan.M[k][3] = ax.a;
  }
  // The header's map: M, or with the requested spacing written, M with the
  // diagonal t/s (the offset stays: voxel 0 is where it was sampled).
  Mat4 header = plan.M;
  plan.header_requested = req.header == HeaderSpacing::requested;
  if (plan.header_requested)
    for (int k = 0; k < 3; ++k) {
      const AxisMap& ax = plan.axis[k];
      header[k][k] = ax.target == ax.spacing_in ? 1.0 : ax.target / ax.spacing_in;
      plan.header_offset_mm[k] = static_cast<double>(ax.m - 1) * (ax.target - ax.spacing_out);
    }
  plan.primary_out = multiply(in.primary, header);
  if (in.has_qform) plan.qform_out = multiply(in.qform, header);
  if (in.has_sform) plan.sform_out = multiply(in.sform, header);
  for (int k = 0; k < 3; ++k) {
    plan.pixdim_out[k] = plan.header_requested ? plan.axis[k].target : in.pixdim[k] * header[k][k];
    plan.origin_shift_mm[k] = plan.primary_out[k][3] - in.primary[k][3];
  }
  return plan;
}

}  // namespace respace
