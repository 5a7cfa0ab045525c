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

// What the user asked for: per-axis target spacing (mm) or the three sizes.
struct GridRequest {
  std::array<std::optional<double>, 3> spacing;
  std::optional<std::array<std::int64_t, 3>> size;
  std::optional<GridPolicy> policy;  // default: center, or fov with size
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
  std::int64_t stored_n() const { return stored > 0 ? stored : n; }
  bool identity() const { return r == 1.0 && a == 0.0 && m == n && first == 0 && stored_n() == n; }
  double position(std::int64_t j) const { return a + static_cast<double>(j) * r; }
};

struct GridPlan {
  GridPolicy policy = GridPolicy::center;
  std::array<AxisMap, 3> axis;
  Mat4 M = identity4();           // output index -> input index
  Mat4 primary_out = identity4(); // A' = A · M
  Mat4 qform_out = identity4();   // qform · M (when the input has a qform)
  Mat4 sform_out = identity4();   // sform · M (when the input has an sform)
  std::array<double, 3> pixdim_out{};
  std::array<double, 3> origin_shift_mm{};  // A[:3,:3] · a
};

// Spacing s_k: the Euclidean norm of column k of A's 3x3 part.
double column_norm(const Mat4& a, int k);

// The output size for n voxels of spacing s resampled to spacing t
// (float-noise snapping, halves up, at least 1).
std::int64_t output_size(std::int64_t n, double s, double t);

// Throws Error(usage) for requests that cannot make a grid.
GridPlan plan_grid(const InputGeometry& in, const GridRequest& req);

}  // namespace respace
