// SPDX-License-Identifier: MIT
// The general sampler's inner sum for eight output voxels at once with AVX2,
// for its most common case: linear interpolation (two taps per axis) of float
// coefficients of one channel, the eight voxels reading the same coefficient
// planes with the same z weights (a rotation within the slices, or a tilt
// about x, keeps fz fixed along a row). Taps of weight zero are masked, as
// the scalar loop skips them.
//
// The two x taps of a voxel are adjacent, so each voxel's x pair is one
// 64-bit load per y tap, and four voxels' pairs fill a vector in the same
// interleaved layout as the kernel's weights (w[2i], w[2i+1]); the first
// and second taps are then split (lanes in the order 0 1 4 5 2 3 6 7) and
// added. Each lane computes exactly the scalar sum of
// engine/general_sampler.hpp, in its order: sx = (0 + wx0*a) + wx1*b,
// sy = (0 + wy0*sx0) + wy1*sx1, sum = 0 + wz*sy (+ the second z tap); IEEE
// float multiply and add, so the bits do not change. The one exception is
// which NaN comes out where two NaNs meet (x86 returns the first operand's,
// and the compiler may order a scalar add's operands either way): a NaN
// stays a NaN, its sign may differ.
//
// Gathers (vgatherdps, one per tap) were tried first: on this project's AMD
// machine they made the job slower than the scalar loads they replaced.
//
// Called only when the CPU has AVX2 (pair_taps_available()); compiled for
// AVX2 by its own target attribute, so the rest of the build stays generic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define RESPACE_PAIR_TAPS 1
#else
#define RESPACE_PAIR_TAPS 0
#endif

namespace respace {

inline bool pair_taps_available() {
#if RESPACE_PAIR_TAPS
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
#else
  return false;
#endif
}

// One row's inputs: the linear kernel's first taps and weights per axis (as
// GeneralSampler's RowScratch holds them), which voxels are in the field of
// view, the extended-index margin g and the coefficient row length.
struct PairRow {
  const unsigned char* inside;
  const std::int64_t* first[3];
  const double* w[3];
  std::int64_t g;
  std::int64_t row;
};

#if RESPACE_PAIR_TAPS
namespace pair_detail {

// Eight floats of an interleaved weight array from pair i (voxels i..i+3
// and i+4..i+7 as two halves): [w0 w1 w0 w1 ...] per half, as float.
__attribute__((target("avx2"))) inline __m256 weights4(const double* w) {
  return _mm256_set_m128(_mm256_cvtpd_ps(_mm256_loadu_pd(w + 4)), _mm256_cvtpd_ps(_mm256_loadu_pd(w)));
}

// The x pairs of four voxels: [a b] at p[0], p[1], p[2], p[3].
__attribute__((target("avx2"))) inline __m256 pairs4(const float* const* p) {
  std::int64_t v[4];
  for (int l = 0; l < 4; ++l) std::memcpy(&v[l], p[l], 8);
  return _mm256_castsi256_ps(_mm256_set_epi64x(v[3], v[2], v[1], v[0]));
}

// Bit k set where the double w[k] (k < 16) is not 0.0.
__attribute__((target("avx2"))) inline int nonzero16(const double* w) {
  const __m256d zero = _mm256_setzero_pd();
  int bits = 0;
  for (int q = 0; q < 4; ++q)
    bits |= _mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(w + 4 * q), zero, _CMP_NEQ_UQ)) << (4 * q);
  return bits;
}

}  // namespace pair_detail

// Voxels [i, ...) of the row in groups of eight while a group qualifies;
// writes their sums to out[i...] and returns how many voxels it did (a
// multiple of 8; 0 when the group at i does not qualify). plane_at(z) ->
// const float* of extended coefficient plane z. lo/hi widen by the planes
// read, as the scalar loop's do.
template <class PlaneAt>
__attribute__((target("avx2"))) std::size_t pair_taps(const PairRow& r, std::size_t i, std::size_t count, float* out,
                                                      const PlaneAt& plane_at, std::int64_t& lo, std::int64_t& hi) {
  using namespace pair_detail;
  const std::size_t start = i;
  const float* zp[2] = {};
  std::int64_t zfirst = INT64_MIN;
  const __m256 zero = _mm256_setzero_ps();
  while (i + 8 <= count) {
    std::uint64_t in8;
    std::memcpy(&in8, r.inside + i, 8);
    if (in8 != 0x0101010101010101ULL) break;
    // The same first z tap and z weights in every lane.
    const std::int64_t fz = r.first[2][i];
    const double* const wz = r.w[2] + 2 * i;
    const __m256i fzv = _mm256_set1_epi64x(fz);
    const __m256i* const f2 = reinterpret_cast<const __m256i*>(r.first[2] + i);
    const int same_fz = _mm256_movemask_epi8(_mm256_cmpeq_epi64(_mm256_loadu_si256(f2), fzv)) &
                        _mm256_movemask_epi8(_mm256_cmpeq_epi64(_mm256_loadu_si256(f2 + 1), fzv));
    const __m256d wzv = _mm256_set_pd(wz[1], wz[0], wz[1], wz[0]);
    int same_wz = 0xF;
    for (int q = 0; q < 4; ++q) same_wz &= _mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(wz + 4 * q), wzv, _CMP_EQ_OQ));
    if (same_fz != -1 || same_wz != 0xF) break;
    // Weights as float, x interleaved (lanes 0-3, 4-7), y split into its
    // two taps in the split's lane order (0 1 4 5 2 3 6 7). A tap
    // the scalar loop drops (weight 0.0) is masked to a product of +0,
    // which leaves each sum's bits as they are (the partial sum before it
    // is never -0); a weight that is not 0.0 as a double but 0 as a float
    // sends the group to the scalar loop.
    const double* const dx = r.w[0] + 2 * i;
    const double* const dy = r.w[1] + 2 * i;
    const __m256 wxa = weights4(dx), wxb = weights4(dx + 8);
    const __m256 wya = weights4(dy), wyb = weights4(dy + 8);
    const __m256 nxa = _mm256_cmp_ps(wxa, zero, _CMP_NEQ_UQ), nxb = _mm256_cmp_ps(wxb, zero, _CMP_NEQ_UQ);
    const __m256 nya = _mm256_cmp_ps(wya, zero, _CMP_NEQ_UQ), nyb = _mm256_cmp_ps(wyb, zero, _CMP_NEQ_UQ);
    if (((_mm256_movemask_ps(nxa) | _mm256_movemask_ps(nxb) << 8) != nonzero16(dx)) ||
        ((_mm256_movemask_ps(nya) | _mm256_movemask_ps(nyb) << 8) != nonzero16(dy)))
      break;
    const __m256 wy0 = _mm256_shuffle_ps(wya, wyb, 0x88), wy1 = _mm256_shuffle_ps(wya, wyb, 0xDD);
    const __m256 ny0 = _mm256_shuffle_ps(nya, nyb, 0x88), ny1 = _mm256_shuffle_ps(nya, nyb, 0xDD);
    const std::int64_t ez = fz + r.g;
    if (ez != zfirst) {
      zp[0] = plane_at(ez);
      zp[1] = plane_at(ez + 1);
      zfirst = ez;
    }
    lo = ez < lo ? ez : lo;
    hi = ez + 1 > hi ? ez + 1 : hi;
    std::int64_t off[8];
    for (int l = 0; l < 8; ++l) off[l] = (r.first[1][i + l] + r.g) * r.row + r.first[0][i + l] + r.g;
    __m256 sum = zero;
    for (int tz = 0; tz < 2; ++tz) {
      if (wz[tz] == 0.0) continue;
      __m256 sx[2];
      for (int t = 0; t < 2; ++t) {
        const float* pa[4], * pb[4];
        for (int l = 0; l < 4; ++l) {
          pa[l] = zp[tz] + off[l] + t * r.row;
          pb[l] = zp[tz] + off[l + 4] + t * r.row;
        }
        // (0 + wx0*a) + wx1*b per voxel: the zero added to each product
        // first, then the pair added (x + (0 + y) == x + y unless both are
        // -0, and x = 0 + wx0*a never is; a masked tap adds +0 to the
        // other, as the scalar sum that skips it leaves it).
        const __m256 xa = _mm256_add_ps(zero, _mm256_and_ps(nxa, _mm256_mul_ps(wxa, pairs4(pa))));
        const __m256 xb = _mm256_add_ps(zero, _mm256_and_ps(nxb, _mm256_mul_ps(wxb, pairs4(pb))));
        sx[t] = _mm256_add_ps(_mm256_shuffle_ps(xa, xb, 0x88), _mm256_shuffle_ps(xa, xb, 0xDD));
      }
      const __m256 sy = _mm256_add_ps(_mm256_add_ps(zero, _mm256_and_ps(ny0, _mm256_mul_ps(wy0, sx[0]))),
                                      _mm256_and_ps(ny1, _mm256_mul_ps(wy1, sx[1])));
      sum = _mm256_add_ps(sum, _mm256_mul_ps(_mm256_set1_ps(static_cast<float>(wz[tz])), sy));
    }
    // Lanes back to 0..7 from the split's 0 1 4 5 2 3 6 7.
    _mm256_storeu_ps(out + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(sum), 0xD8)));
    i += 8;
  }
  return i - start;
}
#endif

}  // namespace respace
