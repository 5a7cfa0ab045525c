// SPDX-License-Identifier: MIT
// The output grid (SPEC §2). Output voxel j on axis k samples the input at
// index position p_k(j) = a_k + j * r_k; with M = [diag(r) a; 0 0 0 1] the
// output affine is A' = A · M, and the same M updates the qform and the sform.
// Only column lengths change and the origin moves by A[:3,:3]·a, so rotation,
// obliquity, shear and flips are kept exactly.
//
// Choices beyond SPEC §2 (also in the README):
//  - A requested spacing within 1e-6 (relative) of the input spacing is the
//    input spacing: typing 0.1 for a header's float32 0.1 leaves that axis
//    untouched and bit-identical instead of resampling it by 1 - 1.5e-8.
//  - corners needs n >= 2 and m >= 2 on a resampled axis.
//
// Thread safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/field_of_view.hpp"

namespace respace {

// The most voxels an output axis may have: beyond it, sizes and byte counts
// no longer fit 64-bit arithmetic (a spacing typo such as 1e-18 mm).
constexpr std::int64_t kMaxOutputDim = std::int64_t{1} << 62;

using Mat4 = std::array<std::array<double, 4>, 4>;

Mat4 identity4();
Mat4 multiply(const Mat4& a, const Mat4& b);

enum class GridPolicy { center, origin, fov, corners };
const char* to_string(GridPolicy p);
std::optional<GridPolicy> parse_grid_policy(const std::string& s);

// What the input header says about geometry.
struct InputGeometry {
  std::array<std::int64_t, 3> n{};
  Mat4 primary = identity4();  // A: sform, else qform, else diag(pixdim)
  Mat4 qform = identity4();    // used only when has_qform
  Mat4 sform = identity4();    // used only when has_sform
  bool has_qform = false;
  bool has_sform = false;
  std::array<double, 3> pixdim{1, 1, 1};
};

// How a size follows from n * s / t when --size does not give it
// (--size-rounding): halves up (SPEC §2), halves to even (Python's round(),
// as scipy.ndimage.zoom sizes its output), or ITK's recipe round(x + 0.5)
// (one more voxel unless x is just below a half: the grid reaches past the
// input's last voxel centre).
enum class SizeRounding { half_up, half_even, itk };
const char* to_string(SizeRounding r);
std::optional<SizeRounding> parse_size_rounding(const std::string& s);

// What the header says the spacing is (--header-spacing): the one the data
// were sampled at (SPEC §2), or the one requested, as the resample_nifti.py
// script writes after sampling zoom's corner-aligned grid (the header then
// misplaces all but the first voxel; the report says by how much).
enum class HeaderSpacing { used, requested };
const char* to_string(HeaderSpacing h);
std::optional<HeaderSpacing> parse_header_spacing(const std::string& s);

// What the user asked for: per-axis target spacing (mm), the three sizes,
// or both (the spacing exact, the size as given: ITK's request; center and
// origin only).
struct GridRequest {
  std::array<std::optional<double>, 3> spacing;
  std::optional<std::array<std::int64_t, 3>> size;
  std::optional<GridPolicy> policy;  // default: center, or fov with a size alone
  SizeRounding rounding = SizeRounding::half_up;
  HeaderSpacing header = HeaderSpacing::used;
  bool any_spacing() const { return spacing[0] || spacing[1] || spacing[2]; }
};

struct AxisMap {
  std::int64_t n = 1;        // input voxels
  std::int64_t m = 1;        // output voxels
  double r = 1;              // input index step per output voxel
  double a = 0;              // input index position of output voxel 0
  double spacing_in = 1;     // s_k, mm
  double spacing_out = 1;    // s_k * r_k, mm (the spacing actually used)
  double target = 1;         // t_k as requested (s_k when not named)
  // --crop: the input is the stored voxels [first, first + n) of `stored`;
  // positions and boundary rules are those of the crop, the taps are
  // shifted by `first` when the table is built (0 and n when not cropped).
  std::int64_t first = 0;
  std::int64_t stored = 0;  // 0: n
  FovRule fov = FovRule::closed;  // where a position is inside (engine/field_of_view.hpp)
  std::int64_t stored_n() const { return stored > 0 ? stored : n; }
  bool identity() const { return r == 1.0 && a == 0.0 && m == n && first == 0 && stored_n() == n; }
  double position(std::int64_t j) const { return a + static_cast<double>(j) * r; }
};

// The affines and pixdim are the header's: A · M, or with
// HeaderSpacing::requested A · M_h, M_h = M with the diagonal t/s.
struct GridPlan {
  GridPolicy policy = GridPolicy::center;
  std::array<AxisMap, 3> axis;
  Mat4 M = identity4();           // output index -> input index (where the data are sampled)
  Mat4 primary_out = identity4(); // A' = A · M
  Mat4 qform_out = identity4();   // qform · M (when the input has a qform)
  Mat4 sform_out = identity4();   // sform · M (when the input has an sform)
  std::array<double, 3> pixdim_out{};
  std::array<double, 3> origin_shift_mm{};  // A[:3,:3] · a
  // HeaderSpacing::requested: how far the header puts the last voxel from
  // where its sample was taken, per axis in mm ((m-1)(t - s r)); 0 otherwise.
  bool header_requested = false;
  std::array<double, 3> header_offset_mm{};
};

// Spacing s_k: the Euclidean norm of column k of A's 3x3 part.
double column_norm(const Mat4& a, int k);

// The output size for n voxels of spacing s resampled to spacing t
// (float-noise snapping, halves up, at least 1; or by `rounding`).
std::int64_t output_size(std::int64_t n, double s, double t, SizeRounding rounding = SizeRounding::half_up);

// Throws Error(usage) for requests that cannot make a grid.
GridPlan plan_grid(const InputGeometry& in, const GridRequest& req);

}  // namespace respace
