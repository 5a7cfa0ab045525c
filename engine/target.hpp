// SPDX-License-Identifier: MIT
// Any output grid: the voxel-to-voxel map from output indices to input
// indices, and which path serves it.
//
// The input is the stored volume, or the box --crop cuts from it (the crop is
// then the image: positions, the field of view and boundary rules are the
// crop's). Its affine is A_c = A · T(first), A the input's primary affine.
// The output grid is
//   - REF's (--like REF): its dims and affine A_out = A_ref, or
//   - the spacing/size plan of the (cropped) input (engine/geometry.hpp):
//     A_out = A_c · M.
// --affine W (a world-space transform that takes output world coordinates to
// input world coordinates, the direction scipy and ITK resample with) moves
// the content, never the output grid. Output index j samples crop index
//
//     p = V j,   V = A_c^-1 · W · A_out.
//
// Entries of V within 1e-9 of an integer are snapped to it (a REF on the
// input's own grid gives V = I exactly, so the copy is bit-exact). When the
// 3x3 part of V is diagonal with positive entries (same orientation, any
// spacing, any offset) the separable streaming path serves it; otherwise
// (rotation, oblique relation, axis permutation, flip) the general path.
//
// Thread safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "engine/geometry.hpp"

namespace respace {

struct CropBox {
  std::array<std::int64_t, 3> first{};
  std::array<std::int64_t, 3> size{};
};

struct TargetRequest {
  GridRequest grid;                   // --spacing/--size/--grid (not with like)
  std::optional<CropBox> crop;        // in stored voxels
  std::optional<InputGeometry> like;  // REF's geometry
  std::optional<Mat4> world;          // W: output world -> input world
};

struct TargetPlan {
  // Output dims (axis[k].m), affines and pixdim, and for the separable path
  // the per-axis maps (with the crop's first/stored). With --like the
  // affines are REF's.
  GridPlan grid;
  Mat4 voxel_map = identity4();  // V: output index -> crop index
  bool separable = true;
  std::string why;  // which path and why, for the report
};

// The crop box of world corners x0 and x1 (mm): the stored voxels whose
// centres lie inside the box they span. Throws Error(usage) when empty.
CropBox crop_from_world(const InputGeometry& in, const std::array<double, 3>& x0, const std::array<double, 3>& x1);

// Throws Error(usage) for a crop outside the input or a singular affine.
TargetPlan plan_target(const InputGeometry& in, const TargetRequest& req);

// 4x4 affine inverse (throws Error(usage) naming `what` when singular).
Mat4 invert(const Mat4& m, const std::string& what);

}  // namespace respace
