// SPDX-License-Identifier: MIT
// Conversion between stored voxel bytes and the working type W (float for
// inputs up to 16 bits and float32, double for wider types; SPEC §4).
// The datatype is dispatched once per plane or row by visit_datatype(), a
// switch into templates; the loops themselves have no branches on type.
//
// Encoding to an integer type rounds half away from zero and clamps to the
// type's range (cubic overshoot never wraps); NaN becomes 0. On request
// (--int-rounding toward-zero, ITK's cast) it clamps and truncates instead;
// a value within 1e-11 (relative) of an integer is that integer first, so
// the arithmetic noise of two formulas (5 (1-w) + 5 w = 4.999999999999999)
// does not decide the result.
//
// Thread safety: pure functions.
#pragma once

#include <nifti/nifti1.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "engine/value_stats.hpp"
#include "io/error.hpp"

namespace respace {

enum class IntRounding { nearest, toward_zero };
inline const char* to_string(IntRounding r) { return r == IntRounding::nearest ? "nearest" : "toward-zero"; }
inline std::optional<IntRounding> parse_int_rounding(const std::string& s) {
  for (IntRounding r : {IntRounding::nearest, IntRounding::toward_zero})
    if (s == to_string(r)) return r;
  return std::nullopt;
}

template <class T>
struct TypeTag { using type = T; };

template <class F>
decltype(auto) visit_datatype(int datatype, F&& f) {
  switch (datatype) {
    case DT_UINT8: return f(TypeTag<std::uint8_t>{});
    case DT_INT8: return f(TypeTag<std::int8_t>{});
    case DT_INT16: return f(TypeTag<std::int16_t>{});
    case DT_UINT16: return f(TypeTag<std::uint16_t>{});
    case DT_INT32: return f(TypeTag<std::int32_t>{});
    case DT_UINT32: return f(TypeTag<std::uint32_t>{});
    case DT_INT64: return f(TypeTag<std::int64_t>{});
    case DT_UINT64: return f(TypeTag<std::uint64_t>{});
    case DT_FLOAT32: return f(TypeTag<float>{});
    case DT_FLOAT64: return f(TypeTag<double>{});
    default: throw Error(ExitCode::internal, "unsupported datatype reached the engine");
  }
}

// True when the working type for this datatype is double.
inline bool needs_double(int datatype) {
  switch (datatype) {
    case DT_INT32: case DT_UINT32: case DT_INT64: case DT_UINT64: case DT_FLOAT64: return true;
    default: return false;
  }
}

template <class T>
inline T byteswap_value(T v) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  std::reverse(b, b + sizeof(T));
  std::memcpy(&v, b, sizeof(T));
  return v;
}

// n stored values (possibly byte-swapped) -> W.
template <class T, class W>
void decode(const unsigned char* src, W* dst, std::size_t n, bool swap) {
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    if (swap) v = byteswap_value(v);
    dst[i] = static_cast<W>(v);
  }
}

template <class T, class W>
inline T to_stored(W v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return T(0);
    // Bounds as W: for 64-bit types max() is not representable, so compare
    // against 2^63 or 2^64 exactly and saturate.
    const W lo = static_cast<W>(std::numeric_limits<T>::lowest());
    const W hi_excl = static_cast<W>(std::numeric_limits<T>::max() / 2 + 1) * W(2);
    const W r = std::round(v);
    if (r <= lo) return std::numeric_limits<T>::lowest();
    if (r >= hi_excl) return std::numeric_limits<T>::max();
    return static_cast<T>(r);
  }
}

template <class T, class W>
inline T to_stored_toward_zero(W v) {
  if (std::isnan(v)) return T(0);
  const W r = std::round(v);
  const W t = std::fabs(v - r) <= W(1e-11) * std::max(W(1), std::fabs(v)) ? r : std::trunc(v);
  const W lo = static_cast<W>(std::numeric_limits<T>::lowest());
  const W hi_excl = static_cast<W>(std::numeric_limits<T>::max() / 2 + 1) * W(2);
  if (t <= lo) return std::numeric_limits<T>::lowest();
  if (t >= hi_excl) return std::numeric_limits<T>::max();
  return static_cast<T>(t);
}

// 8- and 16-bit integers from float: clamp first (NaN -> 0), then round half
// away from zero by truncation and the exact remainder v - trunc(v) (exact
// for |v| < 2^24). Same result as to_stored(), without a libm call per
// voxel, so the loop vectorises.
template <class T>
inline T to_small_int(float v) {
  constexpr float lo = static_cast<float>(std::numeric_limits<T>::lowest());
  constexpr float hi = static_cast<float>(std::numeric_limits<T>::max());
  v = v == v ? v : 0.0f;
  v = v < lo ? lo : (v > hi ? hi : v);
  int t = static_cast<int>(v);
  const float f = v - static_cast<float>(t);
  t += static_cast<int>(f >= 0.5f) - static_cast<int>(f <= -0.5f);
  return static_cast<T>(t);
}

// n working values -> stored values (native byte order).
template <class T, class W>
void encode(const W* src, unsigned char* dst, std::size_t n, IntRounding rounding = IntRounding::nearest) {
  if constexpr (std::is_integral_v<T>) {
    if (rounding == IntRounding::toward_zero) {
      for (std::size_t i = 0; i < n; ++i) {
        const T v = to_stored_toward_zero<T>(src[i]);
        std::memcpy(dst + i * sizeof(T), &v, sizeof(T));
      }
      return;
    }
  }
  if constexpr (std::is_integral_v<T> && sizeof(T) <= 2 && std::is_same_v<W, float>) {
    constexpr std::size_t kStage = 256;  // typed staging, so the loop vectorises
    T stage[kStage];
    for (std::size_t i0 = 0; i0 < n; i0 += kStage) {
      const std::size_t m = std::min(kStage, n - i0);
      for (std::size_t i = 0; i < m; ++i) stage[i] = to_small_int<T>(src[i0 + i]);
      std::memcpy(dst + i0 * sizeof(T), stage, m * sizeof(T));
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const T v = to_stored<T>(src[i]);
      std::memcpy(dst + i * sizeof(T), &v, sizeof(T));
    }
  }
}

// --compare: the statistics of `rows` rows of `n` stored values each
// (native byte order), as written, decoded back through `row` (n values) and
// merged row by row in order.
template <class W>
ValueStats stored_stats(const unsigned char* bytes, std::size_t rows, std::size_t n, int datatype, W* row) {
  ValueStats st;
  visit_datatype(datatype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (std::size_t r = 0; r < rows; ++r, bytes += n * sizeof(T)) {
      decode<T, W>(bytes, row, n, false);
      st.merge(ValueStats::of(row, n));
    }
  });
  return st;
}

}  // namespace respace
