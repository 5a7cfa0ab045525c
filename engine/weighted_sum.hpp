// SPDX-License-Identifier: MIT
// The two inner loops of separable resampling (the weighted sums every
// linear kernel comes down to, whatever its width). Both add the taps in table
// order (s = w0*x0, then s += wk*xk), which every path and every reference
// follows, so results are bit-identical however the work is split.
//
//   gather_row:  out[j] = sum_k w(j,k) * in[idx(j,k)]       (the x pass)
//   combine:     out[v] = sum_k w_k * src_k[v]   for v < n   (y and z passes:
//                whole rows or planes at once, contiguous, vectorisable)
//
// Thread safety: pure functions on caller-owned memory.
#pragma once

#include <cstddef>
#include <cstring>

#include "engine/axis_table.hpp"
#include "engine/cpu_clones.hpp"

namespace respace {

template <class W>
inline void gather_row(const W* in, W* out, const AxisTable<W>& t) {
  if (t.identity) {
    std::memcpy(out, in, static_cast<std::size_t>(t.m) * sizeof(W));
    return;
  }
  if (t.picks()) {  // 1 * x is x (a signalling NaN stays signalling until it is sampled)
    for (const PickRun& r : t.pick_runs)
      std::memcpy(out + r.out, in + r.in, static_cast<std::size_t>(r.count) * sizeof(W));
    return;
  }
  for (std::int64_t j = 0; j < t.m; ++j) {
    const std::int64_t* idx = t.taps(j);
    const W* w = t.weights(j);
    const int nt = t.ntap[static_cast<std::size_t>(j)];
    W s = nt > 0 ? w[0] * in[idx[0]] : W(0);
    for (int k = 1; k < nt; ++k) s += w[k] * in[idx[k]];
    out[j] = s;
  }
}

// out[v] = w * s[v] and out[v] += w * s[v]: the two loops every pass spends
// its time in. Kept out of line with restrict pointers so they vectorise
// (an inlined copy was left scalar), with an AVX2 clone chosen at load time
// (engine/cpu_clones.hpp).
template <class W>
RESPACE_CLONES __attribute__((noinline)) void scale_row(W* __restrict out, const W* __restrict s, W w, std::size_t n) {
  for (std::size_t v = 0; v < n; ++v) out[v] = w * s[v];
}

template <class W>
RESPACE_CLONES __attribute__((noinline)) void add_scaled_row(W* __restrict out, const W* __restrict s, W w, std::size_t n) {
  for (std::size_t v = 0; v < n; ++v) out[v] += w * s[v];
}

template <class W>
inline void combine(const W* const* src, const W* w, int nt, W* out, std::size_t n) {
  if (nt == 0) {
    std::memset(out, 0, n * sizeof(W));
    return;
  }
  if (nt == 1 && w[0] == W(1)) {
    std::memcpy(out, src[0], n * sizeof(W));  // identical to 1*x, including NaN and Inf
    return;
  }
  scale_row(out, src[0], w[0], n);
  for (int k = 1; k < nt; ++k) add_scaled_row(out, src[k], w[k], n);
}

// --boundary constant: the weight a sample's taps did not hold reads fill.
template <class W>
inline void add_fill(W* row, std::size_t n, const W* cx, W cyz, W fill) {
  for (std::size_t v = 0; v < n; ++v) row[v] += fill * (W(1) - cx[v] * cyz);
}

}  // namespace respace
