// SPDX-License-Identifier: MIT
// --affine FILE: a world-space transform W that takes OUTPUT world
// coordinates (NIfTI RAS+, mm) to INPUT world coordinates, the direction in
// which scipy's affine_transform and ITK's resampler apply a transform. Two
// formats, told apart by the first line:
//
//  - plain text: 12 or 16 numbers, row by row (3 or 4 rows of 4; a 4th row
//    must be 0 0 0 1), separated by spaces, tabs, commas or newlines; '#'
//    starts a comment. RAS+ mm, output -> input.
//  - ITK text transform ("#Insight Transform File V1.0", as written by ITK,
//    SimpleITK and ANTs' text output): one AffineTransform_double_3_3,
//    AffineTransform_float_3_3 or MatrixOffsetTransformBase_{double,float}_3_3
//    with Parameters (9 matrix entries row by row, 3 translation) and
//    FixedParameters (the centre c). ITK works in LPS: x_in = A (x_out - c)
//    + t + c there, converted exactly to RAS with diag(-1, -1, 1).
//
// Anything else (ANTs binary .mat, FSL FLIRT matrices, composite or
// non-linear transforms) is refused with a message saying what is read.
//
// Thread safety: pure function.
#pragma once

#include <string>

#include "engine/geometry.hpp"

namespace respace {

// Throws Error(bad_input) naming the file and the fault.
Mat4 read_affine_file(const std::string& path);

}  // namespace respace
