// SPDX-License-Identifier: MIT
#include "engine/axis_table.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/bspline.hpp"
#include "engine/kernels/box.hpp"

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

// A kernel without prefilter: the taps [first, first + taps) with weights
// w, mapped by the boundary rule.
void direct_row(const AxisMap& ax, Boundary b, std::int64_t first, const double* w, int taps, Row& row) {
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
  double fill = 0;
  const auto at = [&](int t) -> std::int64_t {  // tap t's input index, or -1: the fill value
    const std::int64_t i = first + t;
    switch (b) {
      case Boundary::nearest: return std::clamp<std::int64_t>(i, 0, ax.n - 1);
      case Boundary::mirror: return extend_index(i, 0, ax.n - 1, Extension::mirror);
      case Boundary::reflect: return extend_index(i, 0, ax.n - 1, Extension::reflect);
      case Boundary::constant: return i < 0 || i >= ax.n ? -1 : i;
    }
    return -1;
  };
  for (int t = 0; t < taps; ++t) {
    if (w[t] == 0.0) continue;
    const std::int64_t i = at(t);
    if (i < 0) {
      fill += w[t];
    } else {
      lo = std::min(lo, i);
      hi = std::max(hi, i);
    }
  }
  row.reset(lo, hi);
  row.fill = fill;
  for (int t = 0; t < taps; ++t)
    if (w[t] != 0.0 && at(t) >= 0) row.add(at(t), w[t]);
}

// A prefiltered kernel: evaluation weights w[0..taps) on coefficients
// first, ... times the prefilter's impulse response on the (padded) line,
// folded back onto the input samples.
void prefiltered_row(const AxisMap& ax, const Prefilter& f, Boundary b, std::int64_t first, const double* w,
                     int taps, Row& row) {
  const double z = f.pole, K = f.gain;
  const int H = f.halo;
  const std::int64_t pad = (b == Boundary::nearest || b == Boundary::constant) ? kSplinePad : 0;
  const std::int64_t lo = -pad, hi = ax.n - 1 + pad;
  const Extension ext = (b == Boundary::reflect || b == Boundary::nearest) ? Extension::reflect : Extension::mirror;
  // The span of the padded line the taps reach (a first pass), then the
  // weights, added in the same order as over the whole line.
  // Away from the ends nothing folds: the span is the taps plus the halo.
  std::int64_t span_lo = first - H, span_hi = first + taps - 1 + H;
  if (span_lo < lo || span_hi > hi) {
    span_lo = INT64_MAX;
    span_hi = INT64_MIN;
    for (int t = 0; t < taps; ++t) {
      const std::int64_t i = extend_index(first + t, lo, hi, ext);
      for (int d = -H; d <= H; ++d) {
        const std::int64_t q = extend_index(i + d, lo, hi, ext);
        span_lo = std::min(span_lo, q);
        span_hi = std::max(span_hi, q);
      }
    }
  }
  thread_local Row line;  // reused: tables of millions of rows are built here
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
void store_row(AxisTable<W>& t, std::size_t j, const Row& row, bool prefiltered) {
  const auto K = static_cast<std::size_t>(t.max_taps);
  int nt = 0;
  for (std::size_t q = 0; q < row.w.size(); ++q) {
    const double v = row.w[q];
    if (v == 0.0 || (prefiltered && std::fabs(v) < kNegligible)) continue;
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
// A table whose every output is one input sample of weight 1 (the margin
// extension of the linear and nearest kernels' coefficients) as runs of
// consecutive inputs (AxisTable::pick_runs; none otherwise).
template <class W>
void find_pick_runs(AxisTable<W>& t) {
  t.pick_runs.clear();
  for (std::int64_t j = 0; j < t.m; ++j)
    if (t.ntap[static_cast<std::size_t>(j)] != 1 || t.weights(j)[0] != W(1)) return;
  for (std::int64_t j = 0; j < t.m; ++j) {
    if (!t.pick_runs.empty()) {
      PickRun& last = t.pick_runs.back();
      if (last.out + last.count == j && last.in + last.count == t.lo(j)) {
        ++last.count;
        continue;
      }
    }
    t.pick_runs.push_back({j, t.lo(j), 1});
  }
}

template <class W>
AxisTable<W> shift_to_stored(AxisTable<W> t, const AxisMap& axis) {
  if (axis.first != 0 || axis.stored_n() != axis.n) {
    t.identity = false;
    t.n = axis.stored_n();
    for (std::int64_t& i : t.index) i += axis.first;
  }
  find_pick_runs(t);
  return t;
}

// --antialias gauss: `row` reads the smoothed line; each of its samples q
// is the Gaussian g (offsets -R..R) over the input, with the boundary rule
// (scipy's gaussian_filter with the same mode). The composed row reads the
// input itself.
void smooth_row(const AxisMap& ax, Boundary b, const std::vector<double>& g, Row& row) {
  const auto R = static_cast<std::int64_t>(g.size() / 2);
  const std::int64_t a = row.first, z = row.first + static_cast<std::int64_t>(row.w.size()) - 1;
  Row out;
  if (row.w.empty()) {
    out.reset(0, -1);
  } else {
    out.reset(std::max<std::int64_t>(0, a - R), std::min<std::int64_t>(ax.n - 1, z + R));  // folds land here too
  }
  out.fill = row.fill;
  for (std::int64_t q = a; q <= z; ++q) {
    const double v = row.w[static_cast<std::size_t>(q - a)];
    if (v == 0.0) continue;
    for (std::int64_t d = -R; d <= R; ++d) {
      const double gw = v * g[static_cast<std::size_t>(d + R)];
      const std::int64_t i = q + d;
      switch (b) {
        case Boundary::nearest: out.add(std::clamp<std::int64_t>(i, 0, ax.n - 1), gw); break;
        case Boundary::mirror: out.add(extend_index(i, 0, ax.n - 1, Extension::mirror), gw); break;
        case Boundary::reflect: out.add(extend_index(i, 0, ax.n - 1, Extension::reflect), gw); break;
        case Boundary::constant:
          if (i < 0 || i >= ax.n) out.fill += gw;
          else out.add(i, gw);
          break;
      }
    }
  }
  row = std::move(out);
}

// One output sample's row: the kernel's weights at p, prefiltered or not,
// then smoothed when the axis filter says so.
void kernel_row(const AxisMap& axis, const Kernel& kernel, Boundary boundary, double p, double zoom,
                const std::vector<double>& gauss, std::vector<double>& w, Row& row) {
  w.resize(static_cast<std::size_t>(kernel.support(zoom)));
  const std::int64_t first = kernel.weights_at(p, zoom, w.data());
  if (const std::optional<Prefilter> f = kernel.prefilter())
    prefiltered_row(axis, *f, boundary, first, w.data(), static_cast<int>(w.size()), row);
  else
    direct_row(axis, boundary, first, w.data(), static_cast<int>(w.size()), row);
  if (!gauss.empty()) smooth_row(axis, boundary, gauss, row);
}

}  // namespace

int table_taps(const Kernel& kernel, const AxisFilter& filter, double zoom) {
  const std::int64_t taps = (filter.kind == AxisFilter::Kind::box ? box_kernel().table_taps(zoom) : kernel.table_taps(zoom)) +
                            2 * static_cast<std::int64_t>(filter.radius);
  return static_cast<int>(std::min<std::int64_t>(taps, INT32_MAX));
}

template <class W>
AxisTable<W> build_axis_table(const AxisMap& axis, const Kernel& interpolator, Boundary boundary,
                              const AxisFilter& filter) {
  const double zoom = 1.0 / axis.r;
  const Kernel& kernel = filter.kind == AxisFilter::Kind::box ? box_kernel() : interpolator;
  const std::vector<double> gauss = filter.kind == AxisFilter::Kind::gauss ? filter.gauss_weights() : std::vector<double>{};
  AxisTable<W> t = empty_table<W>(axis.n, axis.m, std::min<std::int64_t>(table_taps(interpolator, filter, zoom), axis.n));
  t.identity = axis.identity() && filter.kind == AxisFilter::Kind::none;
  const bool prefiltered = kernel.prefilter().has_value();
  const auto m = static_cast<std::size_t>(axis.m);
  const auto K = static_cast<std::size_t>(t.max_taps);
  const FieldOfView fov = field_of_view(axis.fov, axis.n);
  Row row;
  std::vector<double> w;
  for (std::size_t j = 0; j < m; ++j) {
    const double p = t.identity ? static_cast<double>(j) : axis.position(static_cast<std::int64_t>(j));
    if (!fov.contains(p)) continue;  // outside the FOV: fill
    t.inside[j] = 1;
    if (t.identity) {
      t.index[j * K] = static_cast<std::int64_t>(j);
      t.weight[j * K] = W(1);
      t.ntap[j] = 1;
      continue;
    }
    kernel_row(axis, kernel, boundary, p, zoom, gauss, w, row);
    store_row(t, j, row, prefiltered);
  }
  return shift_to_stored(std::move(t), axis);
}

template <class W>
AxisTable<W> build_coefficient_table(const AxisMap& axis, const Kernel& kernel, Boundary boundary,
                                     const AxisFilter& filter) {
  if (filter.kind == AxisFilter::Kind::box) throw std::logic_error("coefficient table: no box filter on the general path");
  const std::int64_t g = kernel.margin();
  const std::optional<Prefilter> f = kernel.prefilter();
  const std::vector<double> gauss = filter.kind == AxisFilter::Kind::gauss ? filter.gauss_weights() : std::vector<double>{};
  AxisTable<W> t = empty_table<W>(axis.n, axis.n + 2 * g, std::min<std::int64_t>(table_taps(kernel, filter, 1.0), axis.n));
  t.inside.assign(t.ntap.size(), 1);
  Row row;
  const double one = 1;
  for (std::size_t j = 0; j < static_cast<std::size_t>(t.m); ++j) {
    const std::int64_t c = static_cast<std::int64_t>(j) - g;
    // Coefficient c: the prefilter's at c, or the sample the boundary rule
    // puts there.
    if (f)
      prefiltered_row(axis, *f, boundary, c, &one, 1, row);
    else
      direct_row(axis, boundary, c, &one, 1, row);
    if (!gauss.empty()) smooth_row(axis, boundary, gauss, row);
    store_row(t, j, row, f.has_value());
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
  if (t.picks()) find_pick_runs(r);
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
template AxisTable<float> build_axis_table<float>(const AxisMap&, const Kernel&, Boundary, const AxisFilter&);
template AxisTable<double> build_axis_table<double>(const AxisMap&, const Kernel&, Boundary, const AxisFilter&);
template AxisTable<float> build_coefficient_table<float>(const AxisMap&, const Kernel&, Boundary, const AxisFilter&);
template AxisTable<double> build_coefficient_table<double>(const AxisMap&, const Kernel&, Boundary, const AxisFilter&);
template AxisTable<float> interleave_channels<float>(const AxisTable<float>&, int);
template AxisTable<double> interleave_channels<double>(const AxisTable<double>&, int);

}  // namespace respace
