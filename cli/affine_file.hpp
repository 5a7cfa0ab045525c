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
// Anything else (ANTs binary .mat, composite or non-linear transforms) is
// refused with a message saying what is read. A FLIRT matrix is plain text
// too but means something else: it is read by read_flirt_file (--flirt).
//
// --flirt FILE: a FLIRT matrix (flirt -omat, convert_xfm), 4 rows of 4,
// mapping the input's FSL coordinates to REF's (FLIRT's -in and -ref).
// FSL coordinates are voxel indices times |pixdim|, with i mirrored to
// nx-1-i when the image's sform (else its qform) has a positive
// determinant, and not with neither (FSL's FslGetLeftRightOrder). With S
// those scalings and A the primary affines, the world transform is
//
//     W = A_in · S_in^-1 · F^-1 · S_ref · A_ref^-1,
//
// so the voxel map on REF's grid (--like REF) is S_in^-1 · F^-1 · S_ref,
// as `flirt -applyxfm -init F -ref REF` samples.
//
// Thread safety: pure function.
#pragma once

#include <string>

#include "engine/geometry.hpp"

namespace respace {

// Throws Error(bad_input) naming the file and the fault.
Mat4 read_affine_file(const std::string& path);

// FSL's scaled-voxel coordinates of `g`: index -> FSL mm.
Mat4 fsl_coordinates(const InputGeometry& g);

// W from a FLIRT matrix between `in` and `ref`. Throws Error(bad_input)
// naming the file and the fault (an ITK file, a singular matrix).
Mat4 read_flirt_file(const std::string& path, const InputGeometry& in, const InputGeometry& ref);

}  // namespace respace
