// SPDX-License-Identifier: MIT
// Per-axis weight tables, built once at plan time and read-only while the
// pipeline runs (shared by all threads without locks).
//
// For output index j the table lists ntap(j) input indices (increasing) and
// weights; the boundary rule and, for B-splines, the prefilter are folded in
// here (engine/bspline.hpp), so the inner loops never clamp and never
// recurse. Taps of weight exactly zero are dropped, so a NaN or Inf in the
// input only reaches the samples whose kernel really touches it, and an
// output position on an input voxel centre reads that voxel alone (orders
// 0 and 1). An output index outside the field of view [-0.5, n-0.5] has no
// taps and is marked !inside: the pipeline writes the fill value there.
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

#include "engine/geometry.hpp"

namespace respace {

enum class Order { nearest = 0, linear = 1, quadratic = 2, cubic = 3 };
enum class Boundary { nearest, mirror, reflect, constant };
const char* to_string(Boundary b);
std::optional<Boundary> parse_boundary(const std::string& s);
// nearest for orders 0 and 1 (as ITK's linear interpolator), mirror for
// B-splines (as ITK and scipy).
Boundary default_boundary(Order o);

// The most taps one output sample reads along an axis.
int max_taps(Order o);

template <class W>
struct AxisTable {
  std::int64_t n = 0;  // input length
  std::int64_t m = 0;  // output length
  int max_taps = 1;
  bool identity = false;
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
};

template <class W>
AxisTable<W> build_axis_table(const AxisMap& axis, Order order, Boundary boundary);

// The general (affine) path samples an interpolation-coefficient volume
// extended by coefficient_margin() voxels on each side of every axis: the
// samples themselves for orders 0-1 (the margin holds what the boundary rule
// puts beyond the edge), the prefiltered B-spline coefficients for orders
// 2-3 (scipy's conventions and the halo rule as above). Every position in
// the field of view [-0.5, n-0.5] finds its order+1 taps in [-margin,
// n+margin). Output j of this table is coefficient j - margin; with
// --boundary constant, coverage(j) < 1 where the fill value contributes.
int coefficient_margin(Order o);
template <class W>
AxisTable<W> build_coefficient_table(const AxisMap& axis, Order order, Boundary boundary);

// RGB24/RGBA32: a row of n voxels of C interleaved channels is a row of n*C
// samples; output j, channel c reads input taps idx*C + c with the same
// weights, so each channel is resampled on its own.
template <class W>
AxisTable<W> interleave_channels(const AxisTable<W>& t, int channels);

extern template struct AxisTable<float>;
extern template struct AxisTable<double>;
extern template AxisTable<float> build_axis_table<float>(const AxisMap&, Order, Boundary);
extern template AxisTable<double> build_axis_table<double>(const AxisMap&, Order, Boundary);
extern template AxisTable<float> build_coefficient_table<float>(const AxisMap&, Order, Boundary);
extern template AxisTable<double> build_coefficient_table<double>(const AxisMap&, Order, Boundary);
extern template AxisTable<float> interleave_channels<float>(const AxisTable<float>&, int);
extern template AxisTable<double> interleave_channels<double>(const AxisTable<double>&, int);

}  // namespace respace
