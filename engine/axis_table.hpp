// SPDX-License-Identifier: MIT
// Per-axis weight tables, built once at plan time and read-only while the
// pipeline runs (shared by all threads without locks).
//
// For output index j the table lists ntap(j) input indices and weights; the
// boundary rule is applied here, once, so the inner loops never clamp.
// Taps of weight exactly zero are dropped, so a NaN or Inf in the input only
// reaches the samples whose kernel really touches it, and an output position
// that falls on an input voxel centre reads that voxel alone (exact copy).
// An output index outside the field of view [-0.5, n-0.5] has no taps and is
// marked !inside: the pipeline writes the fill value there.
//
// Thread safety: immutable after build.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/geometry.hpp"

namespace respace {

enum class Order { nearest = 0, linear = 1 };
enum class Boundary { nearest };  // edge replicate; more modes arrive with B-splines

template <class W>
struct AxisTable {
  std::int64_t n = 0;  // input length
  std::int64_t m = 0;  // output length
  int max_taps = 1;
  bool identity = false;
  std::vector<int> ntap;              // m
  std::vector<std::int64_t> index;    // m * max_taps
  std::vector<W> weight;              // m * max_taps
  std::vector<unsigned char> inside;  // m

  const std::int64_t* taps(std::int64_t j) const { return &index[static_cast<std::size_t>(j * max_taps)]; }
  const W* weights(std::int64_t j) const { return &weight[static_cast<std::size_t>(j * max_taps)]; }
  // Smallest and largest input index read for output j (ntap(j) > 0).
  std::int64_t lo(std::int64_t j) const;
  std::int64_t hi(std::int64_t j) const;
};

template <class W>
AxisTable<W> build_axis_table(const AxisMap& axis, Order order, Boundary boundary);

extern template struct AxisTable<float>;
extern template struct AxisTable<double>;
extern template AxisTable<float> build_axis_table<float>(const AxisMap&, Order, Boundary);
extern template AxisTable<double> build_axis_table<double>(const AxisMap&, Order, Boundary);

}  // namespace respace
