// SPDX-License-Identifier: MIT
// Per-axis weight tables, built once at plan time and read-only while the
// pipeline runs (shared by all threads without locks).
//
// For output index j the table lists ntap(j) input indices (increasing) and
// weights: the kernel's (engine/kernel.hpp) at the position, with the
// boundary rule and, for a prefiltered kernel (B-splines), the prefilter
// folded in here (engine/bspline.hpp), so the inner loops never clamp and
// never recurse. The table is as wide as the kernel's taps at the axis's
// zoom (Kernel::table_taps), at most n. Taps of weight exactly zero are
// dropped, so a NaN or Inf in the input only reaches the samples whose
// kernel really touches it, and an output position on an input voxel centre
// reads that voxel alone (nearest and linear). An output index outside the
// field of view (axis.fov: [-0.5, n-0.5] unless a peer's rule is asked for,
// engine/field_of_view.hpp) has no taps and is marked !inside: the pipeline
// writes the fill value there.
//
// With --boundary constant, taps that fall outside the volume read the fill
// value; they are left out of the table and coverage(j) keeps the weight the
// table does hold, so the pipeline adds fill * (1 - cx*cy*cz) per sample.
//
// Thread safety: immutable after build.
#pragma once

#include <cstdint>
#include <string>
#include <optional>
#include <vector>

#include "engine/antialias.hpp"
#include "engine/geometry.hpp"
#include "engine/kernel.hpp"

namespace respace {

// Outputs [out, out + count) are inputs [in, in + count).
struct PickRun {
  std::int64_t out, in, count;
};

template <class W>
struct AxisTable {
  std::int64_t n = 0;  // input length
  std::int64_t m = 0;  // output length
  int max_taps = 1;
  bool identity = false;
  // When every output is one input sample of weight 1 (a margin's
  // extension): the outputs as copies of runs; empty otherwise.
  std::vector<PickRun> pick_runs;
  bool full_coverage = true;          // every coverage(j) == 1
  std::vector<int> ntap;              // m
  std::vector<std::int64_t> index;    // m * max_taps
  std::vector<W> weight;              // m * max_taps
  std::vector<W> coverage;            // m
  std::vector<unsigned char> inside;  // m

  const std::int64_t* taps(std::int64_t j) const { return &index[static_cast<std::size_t>(j * max_taps)]; }
  const W* weights(std::int64_t j) const { return &weight[static_cast<std::size_t>(j * max_taps)]; }
  // Smallest and largest input index read for output j (ntap(j) > 0).
  std::int64_t lo(std::int64_t j) const { return taps(j)[0]; }
  std::int64_t hi(std::int64_t j) const { return taps(j)[ntap[static_cast<std::size_t>(j)] - 1]; }
  bool picks() const { return !pick_runs.empty(); }
};

// The widest row a table of `kernel` under `filter` can hold at this zoom:
// the kernel's taps (the box kernel's for a box filter) plus both Gaussian
// radii (engine/antialias.hpp), before the cap at the axis length.
int table_taps(const Kernel& kernel, const AxisFilter& filter, double zoom);

// With an axis filter (--antialias): gauss composes the Gaussian with the
// kernel's row (smoothing first, with the boundary rule, as scipy's
// gaussian_filter then map_coordinates); box replaces the kernel with the
// footprint mean (engine/kernels/box.hpp).
template <class W>
AxisTable<W> build_axis_table(const AxisMap& axis, const Kernel& kernel, Boundary boundary,
                              const AxisFilter& filter = {});

// The general (affine) path samples an interpolation-coefficient volume
// extended by kernel.margin() voxels on each side of every axis: the samples
// themselves for a kernel without prefilter (the margin holds what the
// boundary rule puts beyond the edge), the prefiltered coefficients for a
// prefiltered one (scipy's conventions and the halo rule as above). Every
// position in the field of view [-0.5, n-0.5] finds its taps in
// [-margin, n+margin). Output j of this table is coefficient j - margin;
// with --boundary constant, coverage(j) < 1 where the fill value
// contributes.
// A gauss filter smooths the samples before the prefilter; a box filter has
// no coefficient form (std::logic_error: the planner refuses it first).
template <class W>
AxisTable<W> build_coefficient_table(const AxisMap& axis, const Kernel& kernel, Boundary boundary,
                                     const AxisFilter& filter = {});

// RGB24/RGBA32: a row of n voxels of C interleaved channels is a row of n*C
// samples; output j, channel c reads input taps idx*C + c with the same
// weights, so each channel is resampled on its own.
template <class W>
AxisTable<W> interleave_channels(const AxisTable<W>& t, int channels);

extern template struct AxisTable<float>;
extern template struct AxisTable<double>;
extern template AxisTable<float> build_axis_table<float>(const AxisMap&, const Kernel&, Boundary, const AxisFilter&);
extern template AxisTable<double> build_axis_table<double>(const AxisMap&, const Kernel&, Boundary, const AxisFilter&);
extern template AxisTable<float> build_coefficient_table<float>(const AxisMap&, const Kernel&, Boundary, const AxisFilter&);
extern template AxisTable<double> build_coefficient_table<double>(const AxisMap&, const Kernel&, Boundary, const AxisFilter&);
extern template AxisTable<float> interleave_channels<float>(const AxisTable<float>&, int);
extern template AxisTable<double> interleave_channels<double>(const AxisTable<double>&, int);

}  // namespace respace
