// SPDX-License-Identifier: MIT
#include "cli/convention.hpp"

namespace respace {

const char* to_string(Convention c) {
  switch (c) {
    case Convention::respace: return "respace";
    case Convention::itk: return "itk";
    case Convention::scipy: return "scipy";
    case Convention::scipy_zoom: return "scipy-zoom";
  }
  return "?";
}

std::optional<Convention> parse_convention(const std::string& s) {
  for (Convention c : {Convention::respace, Convention::itk, Convention::scipy, Convention::scipy_zoom})
    if (s == to_string(c)) return c;
  return std::nullopt;
}

Settings resolve_settings(const SettingOptions& o, std::optional<GridPolicy> grid, Boundary kernel_boundary) {
  Settings c;  // respace's
  c.convention = o.convention;
  c.boundary = kernel_boundary;
  switch (o.convention) {
    case Convention::respace: break;
    case Convention::itk:
      c.grid = GridPolicy::origin;
      c.size_rounding = SizeRounding::itk;
      c.fov = FovRule::half_open;
      c.int_rounding = IntRounding::toward_zero;
      c.antialias = Antialias::off;
      break;
    case Convention::scipy:
      c.grid = GridPolicy::origin;
      c.fov = FovRule::hull;
      c.boundary = Boundary::mirror;
      c.antialias = Antialias::off;
      break;
    case Convention::scipy_zoom:
      c.grid = GridPolicy::corners;
      c.size_rounding = SizeRounding::half_even;
      c.boundary = Boundary::nearest;
      c.header_spacing = HeaderSpacing::requested;
      c.antialias = Antialias::off;
      break;
  }
  if (grid) c.grid = grid;
  if (o.boundary) c.boundary = *o.boundary;
  if (o.fov) c.fov = *o.fov;
  if (o.size_rounding) c.size_rounding = *o.size_rounding;
  if (o.int_rounding) c.int_rounding = *o.int_rounding;
  if (o.header_spacing) c.header_spacing = *o.header_spacing;
  if (o.antialias) c.antialias = *o.antialias;
  return c;
}

}  // namespace respace
