// SPDX-License-Identifier: MIT
// Where a sample position is inside the input (SPEC §2-3), per axis of n
// voxels, in index space. A position outside gets --fill; inside, the
// kernel's taps with the boundary rule. Three rules, one per peer
// (--fov, and --convention):
//
//   closed     [-0.5, n-0.5]  respace: both outer voxel faces included
//   half_open  [-0.5, n-0.5)  ITK's ImageFunction::IsInsideBuffer
//   hull       [0, n-1]       scipy's mode='constant': no interpolation
//                             beyond the outermost voxel centres
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace respace {

enum class FovRule { closed, half_open, hull };

inline const char* to_string(FovRule r) {
  switch (r) {
    case FovRule::closed: return "closed";
    case FovRule::half_open: return "half-open";
    case FovRule::hull: return "hull";
  }
  return "?";
}

inline std::optional<FovRule> parse_fov_rule(const std::string& s) {
  for (FovRule r : {FovRule::closed, FovRule::half_open, FovRule::hull})
    if (s == to_string(r)) return r;
  return std::nullopt;
}

struct FieldOfView {
  double lo = -0.5, hi = -0.5;
  bool open_hi = false;
  bool contains(double p) const { return p >= lo && (open_hi ? p < hi : p <= hi); }
};

inline FieldOfView field_of_view(FovRule rule, std::int64_t n) {
  const double last = static_cast<double>(n) - 1;
  switch (rule) {
    case FovRule::closed: return {-0.5, last + 0.5, false};
    case FovRule::half_open: return {-0.5, last + 0.5, true};
    case FovRule::hull: return {0.0, last, false};
  }
  return {};
}

}  // namespace respace
