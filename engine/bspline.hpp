// SPDX-License-Identifier: MIT
// B-spline interpolation (orders 2 and 3) as finite weight tables.
//
// scipy.ndimage and ITK compute interpolating B-splines in two steps: a
// prefilter turns samples x into coefficients c (a recursive filter whose
// reach is the whole line), then the spline is evaluated at each position
// from order+1 coefficients. On the infinite line the prefilter has the
// closed-form impulse response
//
//     h(m) = K z^|m|,   K = gain * (-z) / (1 - z^2),   gain = (1 - z)(1 - 1/z)
//
// with the pole z = sqrt(3) - 2 (cubic) or sqrt(8) - 3 (quadratic); a
// boundary rule makes the line infinite by mirroring (whole-sample, period
// 2n-2) or reflecting (half-sample, period 2n), so that
//
//     c_i = sum over all integers q of K z^|i-q| x[map(q)]
//
// is exactly what the recursive filter with the exact initialisation gives.
// Truncating the sum at |i - q| <= H leaves out at most
//
//     tail(H) = 2 K |z|^(H+1) / (1 - |z|)
//
// of the line's weight; spline_halo() picks the smallest H with
// tail(H) <= kSplineTolerance = 1e-7 and the kept weights are renormalised
// to the exact total, so the truncated result differs from the whole-line
// one by at most about tail(H) of the data range per axis:
//
//     order 3: |z| = 0.2679, K = sqrt(3) = 1.732, H = 13
//     order 2: |z| = 0.1716, K = sqrt(2) = 1.414, H = 9
//
// (build_axis_table folds prefilter and evaluation into one table per axis:
// an output sample reads at most order + 1 + 2H input samples; along z these
// are the halo planes the pipeline's ring holds.)
//
// scipy's conventions that we follow: mode 'nearest' pads the line with 12
// edge samples and prefilters with the reflect rule; 'grid-constant' pads
// with 12 fill samples and prefilters with the mirror rule. One difference:
// for 'reflect' scipy's anticausal initialisation is approximate on short
// lines (error about |z|^(2n): 1.6e-4 at n = 2, 2e-10 at n = 8); respace
// uses the exact extension.
//
// Thread safety: pure functions.
#pragma once

#include <cmath>
#include <cstdint>

namespace respace {

constexpr double kSplineTolerance = 1e-7;
// The tail where integer output is truncated (--int-rounding toward-zero):
// a sample on an input voxel is then that voxel's value to 1e-13, so its
// cast never falls to the integer below (halos 17 and 23).
constexpr double kSplineTightTolerance = 1e-13;

enum class Extension { mirror, reflect };  // whole-sample, half-sample

double spline_pole(int order);
double spline_gain(int order);  // K
int spline_halo(int order, double tolerance = kSplineTolerance);

// Maps any integer q onto [lo, hi] by repeated mirroring or reflection.
std::int64_t extend_index(std::int64_t q, std::int64_t lo, std::int64_t hi, Extension e);

// Evaluation weights of the B-spline of degree 2 or 3 at position p: taps
// first, first + 1, ..., first + Degree; returns first. Inline: the general
// path evaluates them for every output voxel (engine/kernels/bspline.hpp).
template <int Degree>
inline std::int64_t spline_weights(double p, double* w) {
  static_assert(Degree == 2 || Degree == 3, "B-splines of degree 2 and 3");
  if constexpr (Degree == 2) {
    const double f = std::floor(p + 0.5), t = p - f;
    w[0] = 0.5 * (0.5 - t) * (0.5 - t);
    w[1] = 0.75 - t * t;
    w[2] = 0.5 * (0.5 + t) * (0.5 + t);
    return static_cast<std::int64_t>(f) - 1;
  } else {
    const double f = std::floor(p), t = p - f, u = 1 - t;
    w[0] = u * u * u / 6;
    w[1] = (3 * t * t * t - 6 * t * t + 4) / 6;
    w[2] = (-3 * t * t * t + 3 * t * t + 3 * t + 1) / 6;
    w[3] = t * t * t / 6;
    return static_cast<std::int64_t>(f) - 1;
  }
}

}  // namespace respace
