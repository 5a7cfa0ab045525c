// SPDX-License-Identifier: MIT
#include "engine/axis_table.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/bspline.hpp"
#include "engine/kernels.hpp"

namespace respace {
namespace {

// scipy pads the line by this much for 'nearest' and 'grid-constant' before
// prefiltering (scipy.ndimage._interpolation._prepad_for_spline_filter).
constexpr std::int64_t kSplinePad = 12;
// Folded weights this small are rounding residue (e.g. the neighbours of a
// B-spline sample on a voxel centre); dropping them keeps NaN local.
constexpr double kNegligible = 1e-13;

// Dense accumulator of weights over input indices [first, first + size):
// only the span the taps reach, so building a table costs O(m x taps), not
// O(m x n) (a 93350-wide axis took 12 s to plan when every row was n wide).
struct Row {
  std::int64_t first = 0;
  std::vector<double> w;
  double fill = 0;  // weight that reads the fill value (constant boundary)

  void reset(std::int64_t lo, std::int64_t hi) {
    first = lo;
    w.assign(hi >= lo ? static_cast<std::size_t>(hi - lo + 1) : 0, 0.0);
    fill = 0;
  }
  void add(std::int64_t i, double v) { w[static_cast<std::size_t>(i - first)] += v; }
};

// Orders 0 and 1: taps mapped by the boundary rule.
void direct_row(const AxisMap& ax, Order order, Boundary b, double p, Row& row) {
  double w[4];
  const std::int64_t first = spline_weights(static_cast<int>(order), p, w);
  std::int64_t at[4] = {-1, -1, -1, -1};  // each tap's input index, or -1: the fill value
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
  double fill = 0;
  for (int t = 0; t <= static_cast<int>(order); ++t) {
    const std::int64_t i = first + t;
    switch (b) {
      case Boundary::nearest: at[t] = std::clamp<std::int64_t>(i, 0, ax.n - 1); break;
      case Boundary::mirror: at[t] = extend_index(i, 0, ax.n - 1, Extension::mirror); break;
      case Boundary::reflect: at[t] = extend_index(i, 0, ax.n - 1, Extension::reflect); break;
      case Boundary::constant: at[t] = i < 0 || i >= ax.n ? -1 : i; break;
    }
    if (w[t] == 0.0) continue;
    if (at[t] < 0) {
      fill += w[t];
    } else {
      lo = std::min(lo, at[t]);
      hi = std::max(hi, at[t]);
    }
  }
  row.reset(lo, hi);
  row.fill = fill;
  for (int t = 0; t <= static_cast<int>(order); ++t)
    if (w[t] != 0.0 && at[t] >= 0) row.add(at[t], w[t]);
}

// Orders 2 and 3: evaluation weights w[0..taps) on coefficients first, ...
// times the prefilter's impulse response on the (padded) line, folded back
// onto the input samples.
void spline_row(const AxisMap& ax, Order order, Boundary b, std::int64_t first, const double* w, int taps,
                Row& row) {
  const int k = static_cast<int>(order);
  const double z = spline_pole(k), K = spline_gain(k);
  const int H = spline_halo(k);
  const std::int64_t pad = (b == Boundary::nearest || b == Boundary::constant) ? kSplinePad : 0;
  const std::int64_t lo = -pad, hi = ax.n - 1 + pad;
  const Extension ext = (b == Boundary::reflect || b == Boundary::nearest) ? Extension::reflect : Extension::mirror;
  // The span of the padded line the taps reach (a first pass), then the
  // weights, added in the same order as over the whole line.
  std::int64_t span_lo = INT64_MAX, span_hi = INT64_MIN;
  for (int t = 0; t < taps; ++t) {
    const std::int64_t i = extend_index(first + t, lo, hi, ext);
    for (int d = -H; d <= H; ++d) {
      const std::int64_t q = extend_index(i + d, lo, hi, ext);
      span_lo = std::min(span_lo, q);
      span_hi = std::max(span_hi, q);
    }
  }
  Row line;
  line.reset(span_lo, span_hi);
  for (int t = 0; t < taps; ++t) {
    const std::int64_t i = extend_index(first + t, lo, hi, ext);
    double zp = 1;  // z^|i-q|, built up from the centre outwards
    for (int d = 0; d <= H; ++d, zp *= z) {
      line.add(extend_index(i - d, lo, hi, ext), w[t] * K * zp);
      if (d > 0) line.add(extend_index(i + d, lo, hi, ext), w[t] * K * zp);
    }
  }
  // Renormalise: the untruncated weights sum to exactly 1.
  double total = 0;
  for (double v : line.w) total += v;
  row.reset(std::clamp<std::int64_t>(span_lo, 0, ax.n - 1), std::clamp<std::int64_t>(span_hi, 0, ax.n - 1));
  for (std::int64_t q = span_lo; q <= span_hi; ++q) {
    const double v = line.w[static_cast<std::size_t>(q - span_lo)] / total;
    if (q >= 0 && q < ax.n) row.add(q, v);
    else if (b == Boundary::nearest) row.add(q < 0 ? 0 : ax.n - 1, v);  // edge padding
    else row.fill += v;                                                   // fill padding
  }
}

template <class W>
AxisTable<W> empty_table(std::int64_t n, std::int64_t m, std::int64_t taps) {
  static_assert(kMaxTaps >= 30, "cubic tables need 30 taps");
  AxisTable<W> t;
  t.n = n;
  t.m = m;
  t.max_taps = static_cast<int>(taps);
  const auto K = static_cast<std::size_t>(taps);
  t.ntap.assign(static_cast<std::size_t>(m), 0);
  t.index.assign(static_cast<std::size_t>(m) * K, 0);
  t.weight.assign(static_cast<std::size_t>(m) * K, W(0));
  t.coverage.assign(static_cast<std::size_t>(m), W(1));
  t.inside.assign(static_cast<std::size_t>(m), 0);
  return t;
}

// Output j of `t` reads the nonzero weights of `row`.
template <class W>
void store_row(AxisTable<W>& t, std::size_t j, const Row& row, Order order) {
  const auto K = static_cast<std::size_t>(t.max_taps);
  int nt = 0;
  for (std::size_t q = 0; q < row.w.size(); ++q) {
    const double v = row.w[q];
    if (v == 0.0 || (order > Order::linear && std::fabs(v) < kNegligible)) continue;
    if (nt == t.max_taps) throw std::logic_error("axis table: more taps than max_taps");
    t.index[j * K + static_cast<std::size_t>(nt)] = row.first + static_cast<std::int64_t>(q);
    t.weight[j * K + static_cast<std::size_t>(nt)] = static_cast<W>(v);
    ++nt;
  }
  t.ntap[j] = nt;
  t.coverage[j] = static_cast<W>(1.0 - row.fill);
  if (row.fill != 0.0) t.full_coverage = false;
}

// --crop: the table was built on the crop's n voxels; its taps read the
// stored voxels first + index.
template <class W>
AxisTable<W> shift_to_stored(AxisTable<W> t, const AxisMap& axis) {
  if (axis.first == 0 && axis.stored_n() == axis.n) return t;
  t.identity = false;
  t.n = axis.stored_n();
  for (std::int64_t& i : t.index) i += axis.first;
  return t;
}

}  // namespace

const char* to_string(Boundary b) {
  switch (b) {
    case Boundary::nearest: return "nearest";
    case Boundary::mirror: return "mirror";
    case Boundary::reflect: return "reflect";
    case Boundary::constant: return "constant";
  }
  return "?";
}

std::optional<Boundary> parse_boundary(const std::string& s) {
  for (Boundary b : {Boundary::nearest, Boundary::mirror, Boundary::reflect, Boundary::constant})
    if (s == to_string(b)) return b;
  return std::nullopt;
}

Boundary default_boundary(Order o) { return o <= Order::linear ? Boundary::nearest : Boundary::mirror; }

int coefficient_margin(Order o) { return o <= Order::linear ? 1 : 2; }

int max_taps(Order o) {
  const int k = static_cast<int>(o);
  return k <= 1 ? k + 1 : k + 1 + 2 * spline_halo(k);
}

template <class W>
AxisTable<W> build_axis_table(const AxisMap& axis, Order order, Boundary boundary) {
  AxisTable<W> t = empty_table<W>(axis.n, axis.m, std::min<std::int64_t>(max_taps(order), axis.n));
  t.identity = axis.identity();
  const auto m = static_cast<std::size_t>(axis.m);
  const auto K = static_cast<std::size_t>(t.max_taps);
  const double fov_lo = -0.5, fov_hi = static_cast<double>(axis.n) - 0.5;
  Row row;
  for (std::size_t j = 0; j < m; ++j) {
    const double p = t.identity ? static_cast<double>(j) : axis.position(static_cast<std::int64_t>(j));
    if (!(p >= fov_lo && p <= fov_hi)) continue;  // outside the FOV: fill
    t.inside[j] = 1;
    if (t.identity) {
      t.index[j * K] = static_cast<std::int64_t>(j);
      t.weight[j * K] = W(1);
      t.ntap[j] = 1;
      continue;
    }
    if (order <= Order::linear) {
      direct_row(axis, order, boundary, p, row);
    } else {
      double w[4];
      const std::int64_t first = spline_weights(static_cast<int>(order), p, w);
      spline_row(axis, order, boundary, first, w, static_cast<int>(order) + 1, row);
    }
    store_row(t, j, row, order);
  }
  return shift_to_stored(std::move(t), axis);
}

template <class W>
AxisTable<W> build_coefficient_table(const AxisMap& axis, Order order, Boundary boundary) {
  const std::int64_t g = coefficient_margin(order);
  AxisTable<W> t = empty_table<W>(axis.n, axis.n + 2 * g, std::min<std::int64_t>(max_taps(order), axis.n));
  t.inside.assign(t.ntap.size(), 1);
  Row row;
  for (std::size_t j = 0; j < static_cast<std::size_t>(t.m); ++j) {
    const std::int64_t c = static_cast<std::int64_t>(j) - g;
    if (order <= Order::linear) {
      direct_row(axis, Order::nearest, boundary, static_cast<double>(c), row);
    } else {
      const double one = 1;
      spline_row(axis, order, boundary, c, &one, 1, row);
    }
    store_row(t, j, row, order);
  }
  return shift_to_stored(std::move(t), axis);
}

template <class W>
AxisTable<W> interleave_channels(const AxisTable<W>& t, int channels) {
  if (channels == 1) return t;
  const auto C = static_cast<std::size_t>(channels);
  const auto K = static_cast<std::size_t>(t.max_taps);
  AxisTable<W> r;
  r.n = t.n * channels;
  r.m = t.m * channels;
  r.max_taps = t.max_taps;
  r.identity = t.identity;
  r.full_coverage = t.full_coverage;
  const auto m = static_cast<std::size_t>(r.m);
  r.ntap.resize(m);
  r.index.resize(m * K);
  r.weight.resize(m * K);
  r.coverage.resize(m);
  r.inside.resize(m);
  for (std::size_t j = 0; j < static_cast<std::size_t>(t.m); ++j)
    for (std::size_t c = 0; c < C; ++c) {
      const std::size_t o = j * C + c;
      r.ntap[o] = t.ntap[j];
      r.coverage[o] = t.coverage[j];
      r.inside[o] = t.inside[j];
      for (std::size_t k = 0; k < K; ++k) {
        r.index[o * K + k] = t.index[j * K + k] * channels + static_cast<std::int64_t>(c);
        r.weight[o * K + k] = t.weight[j * K + k];
      }
    }
  return r;
}

template struct AxisTable<float>;
template struct AxisTable<double>;
template AxisTable<float> build_axis_table<float>(const AxisMap&, Order, Boundary);
template AxisTable<double> build_axis_table<double>(const AxisMap&, Order, Boundary);
template AxisTable<float> build_coefficient_table<float>(const AxisMap&, Order, Boundary);
template AxisTable<double> build_coefficient_table<double>(const AxisMap&, Order, Boundary);
template AxisTable<float> interleave_channels<float>(const AxisTable<float>&, int);
template AxisTable<double> interleave_channels<double>(const AxisTable<double>&, int);

}  // namespace respace
