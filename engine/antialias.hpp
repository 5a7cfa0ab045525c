// SPDX-License-Identifier: MIT
// Antialiasing when an axis shrinks (--antialias, issue 14): what each axis
// gets, from the reduction k = output spacing / input spacing (input voxels
// per output voxel) along it.
//
//   gauss  a Gaussian of sigma = sqrt((k^2 - 1) / (8 ln 2)) input voxels
//          (the FWHM-matching rule of Cardoso et al., MICCAI 2015, as
//          ITK-Wasm's downsample and TorchIO), truncated at 4 sigma (radius
//          int(4 sigma + 0.5), scipy's gaussian_filter truncate=4.0),
//          applied to the input with the --boundary rule before the
//          interpolation of --order: the weights equal
//          scipy.ndimage.gaussian_filter(x, sigma, mode, truncate=4.0)
//          followed by map_coordinates on the same grid. The table builder
//          (engine/axis_table.cpp) composes the two into one row per output
//          sample, so the filter streams like the B-spline prefilter: a
//          wider table, more halo planes along z.
//   box    the exact mean of the input over the output voxel's footprint
//          [p - k/2, p + k/2] (fractional weights for partly covered
//          voxels; engine/kernels/box.hpp), instead of --order: the block
//          mean of an integer factor on --grid fov, and the volume's mean
//          intensity kept for any factor.
//   auto   gauss on axes shrunk by 2x or more, nothing elsewhere, so mild
//          changes (0.1 -> 0.15 mm) still match scipy and ITK exactly; and
//          nothing for a kernel that keeps values (Kernel::keeps_values:
//          nearest, chosen for labels and masks), as scikit-image's resize
//          leaves order 0 alone on integer data.
//   off    nothing.
// Axes that do not shrink (k <= 1) get nothing in every mode.
//
// On the general path (engine/general_resampler.hpp) the Gaussian acts
// along the input axes in the coefficient pass, with k along input axis a
// the root-mean-square extent of an output voxel along it: sqrt(sum over b
// of V[a][b]^2) for the voxel map V (a pure rotation: 1, no filter). box has
// no such form there and is refused.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace respace {

enum class Antialias { automatic, off, gauss, box };
const char* to_string(Antialias a);
std::optional<Antialias> parse_antialias(const std::string& s);

struct AxisFilter {
  enum class Kind { none, gauss, box };
  Kind kind = Kind::none;
  double k = 1;      // the reduction along the axis
  double sigma = 0;  // gauss: input voxels
  int radius = 0;    // gauss: taps each side (int(4 sigma + 0.5))
  // The Gaussian's weights at offsets -radius..radius, normalised to sum 1
  // (scipy's _gaussian_kernel1d).
  std::vector<double> gauss_weights() const;
};
const char* to_string(AxisFilter::Kind k);

AxisFilter axis_filter(Antialias mode, double k);

}  // namespace respace
