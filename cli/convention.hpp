// SPDX-License-Identifier: MIT
// --convention: a peer's way of resampling, as a named set of settings that
// can each be given alone (README, "Coming from ITK / scipy /
// resample_nifti.py"). An option given on the command line always wins over
// the convention's value for it.
//
//   setting           respace    itk          scipy      scipy-zoom
//   --grid            center     origin       origin     corners
//   --size-rounding   half-up    itk          half-up    half-even
//   --fov             closed     half-open    hull       closed
//   --boundary        kernel's   kernel's     mirror     nearest
//   --int-rounding    nearest    toward-zero  nearest    nearest
//   --header-spacing  used       used         used       requested
//   --antialias       auto       off          off        off
//
// (kernel's: nearest for orders 0 and 1, mirror for B-splines, as ITK's
// interpolators do.) None of the peers filters before it samples, so each
// convention turns antialiasing off unless --antialias is given.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>

#include "engine/antialias.hpp"
#include "engine/field_of_view.hpp"
#include "engine/geometry.hpp"
#include "engine/kernel.hpp"
#include "engine/sample_codec.hpp"

namespace respace {

enum class Convention { respace, itk, scipy, scipy_zoom };
const char* to_string(Convention c);
std::optional<Convention> parse_convention(const std::string& s);

// What one job runs with, every setting decided.
struct Settings {
  Convention convention = Convention::respace;
  std::optional<GridPolicy> grid;  // --grid, else the convention's (none: the grid request's default)
  Boundary boundary = Boundary::nearest;
  FovRule fov = FovRule::closed;
  SizeRounding size_rounding = SizeRounding::half_up;
  IntRounding int_rounding = IntRounding::nearest;
  HeaderSpacing header_spacing = HeaderSpacing::used;
  Antialias antialias = Antialias::automatic;
};

// The options a job was given, each unset one taken from the convention
// (--grid is the grid request's policy, GridRequest::policy).
struct SettingOptions {
  Convention convention = Convention::respace;
  std::optional<Boundary> boundary;
  std::optional<FovRule> fov;
  std::optional<SizeRounding> size_rounding;
  std::optional<IntRounding> int_rounding;
  std::optional<HeaderSpacing> header_spacing;
  std::optional<Antialias> antialias;
};

// `grid`: --grid; `kernel_boundary`: the kernel's default boundary
// (Kernel::default_boundary).
Settings resolve_settings(const SettingOptions& o, std::optional<GridPolicy> grid, Boundary kernel_boundary);

}  // namespace respace
