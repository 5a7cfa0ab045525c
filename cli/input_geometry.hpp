// SPDX-License-Identifier: MIT
// The input's geometry as a job plans with it (SPEC §1): the primary affine
// (sform, else qform, else pixdim), both transforms, and what is wrong
// between them. When the qform and the sform disagree (voxel sizes by more
// than 1e-4, or a corner voxel by more than a thousandth of a voxel) the
// warning gives the distance in mm; --xform-source makes the chosen one
// the primary and both transforms (and pixdim its column lengths).
//
// Thread safety: pure functions.
#pragma once

#include <nifti/nifti2_io.h>

#include <optional>
#include <string>

#include "engine/geometry.hpp"

namespace respace {

// --xform-source: the input transform the output's qform and sform are both
// made from (default: each from its own, SPEC §2).
enum class XformSource { sform, qform };

struct InputTransforms {
  InputGeometry geometry;
  double disagreement_mm = -1;  // both present: how far apart they put a corner voxel (-1: not both)
  std::string warning;          // empty unless they disagree
};

// The geometry nifticlib read from a header, as stored.
InputGeometry geometry_of(const nifti_image& h);

// The geometry a job of `name` plans with. Throws Error(usage) when
// `source` names a transform the header does not have.
InputTransforms input_transforms(const nifti_image& h, const std::string& name, std::optional<XformSource> source);

}  // namespace respace
