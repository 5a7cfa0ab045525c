// SPDX-License-Identifier: MIT
// The general path's sampling stage: output voxel j samples the input at
// p = V j for any affine voxel map V, reading the coefficient planes the
// coefficient pass made (the ring or the mapped temporary file:
// engine/general_resampler.hpp).
//
// Output planes are computed in blocks, each cut into tiles of T x T voxels
// that run in parallel; a tile spans the block's planes (fewer when a block
// has too few tiles for the threads), so the input it reads serves all of
// them. A sample outside the field of view (engine/field_of_view.hpp) on any axis is
// --fill; inside, it is the tensor product of the kernel's weights over
// support^3 coefficients (engine/kernel.hpp, evaluated at zoom 1, a row of
// positions per call), taps of weight zero dropped, added in a fixed order
// (z, y, x), so the bytes do not depend on threads, tiles or where the
// coefficients came from.
//
// Thread safety: one block at a time; the block's tiles run on the calling
// thread's oneTBB arena.
#pragma once

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "engine/cpu_clones.hpp"
#include "engine/field_of_view.hpp"
#include "engine/pair_taps.hpp"
#include "engine/general_plan.hpp"
#include "engine/sample_codec.hpp"
#include "engine/write_block.hpp"
#include "io/byte_sink.hpp"
#include "io/nifti_header.hpp"

namespace respace {

// The extended coefficient planes one tile read (hi < lo: none).
struct ZSpan {
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
};

// Where a tile's taps find coefficient plane z (extended index): W values,
// planes of `plane` values. Planes::at(z) -> const W*.
template <class W>
struct ContiguousPlanes {
  const W* base;
  std::int64_t plane;
  const W* at(std::int64_t z) const { return base + z * plane; }
};

template <class W>
class GeneralSampler {
public:
  GeneralSampler(const GeneralSetup& s, const GeneralMemory& plan) : s_(s), plan_(plan), kernel_(*s.base.kernel) {
    g_ = kernel_.margin();
    taps_ = kernel_.support(1.0);
    for (std::size_t k = 0; k < 3; ++k) {
      n_[k] = s.base.grid.axis[k].n;
      m_[k] = s.base.grid.axis[k].m;
      e_[k] = n_[k] + 2 * g_;
      fov_[k] = field_of_view(s.base.grid.axis[k].fov, n_[k]);
    }
    C_ = s.base.channels;
    row_ = e_[0] * C_;
    plane_ = row_ * e_[1];
    out_voxel_ = scalar_bytes(s.base.out_datatype) * C_;
    out_plane_bytes_ = static_cast<std::size_t>(m_[0] * m_[1]) * static_cast<std::size_t>(out_voxel_);
    pairs_ = std::is_same_v<W, float> && C_ == 1 && pair_taps_available();
  }

  std::int64_t planes_out() const { return m_[2]; }
  std::int64_t plane_values() const { return plane_; }      // W values per extended coefficient plane
  std::uint64_t volume_bytes() const { return static_cast<std::uint64_t>(plane_ * e_[2]) * sizeof(W); }

  // The output block buffer lives from begin() to end() only (the file
  // path's coefficient pass runs without it).
  void begin(ByteSink& out) {
    out_ = &out;
    block_.resize(out_plane_bytes_ * static_cast<std::size_t>(plan_.block));
  }
  void end() {
    std::vector<unsigned char>().swap(block_);
    out_ = nullptr;
  }

  // Output planes [k0, k1): tiles in parallel, then encoded and written.
  // after_tile(span) runs on the tile's worker once the tile is done.
  template <class Planes, class AfterTile>
  void run_block(std::int64_t k0, std::int64_t k1, const Planes& src, const AfterTile& after_tile) {
    const int T = plan_.tile;
    const std::int64_t tx = (m_[0] + T - 1) / T, ty = (m_[1] + T - 1) / T;
    const std::int64_t depth = tile_depth(tx * ty, k1 - k0, plan_.threads);
    const std::int64_t tz = (k1 - k0 + depth - 1) / depth;
    oneapi::tbb::parallel_for(std::int64_t{0}, tz * ty * tx, [&](std::int64_t t) {
      const std::int64_t ka = k0 + t / (ty * tx) * depth, r = t % (ty * tx);
      const std::int64_t y0 = (r / tx) * T, x0 = (r % tx) * T;
      after_tile(sample_tile(src, k0, ka, std::min(k1, ka + depth), y0, std::min(m_[1], y0 + T), x0,
                             std::min(m_[0], x0 + T)));
    });
    const std::size_t bytes = out_plane_bytes_ * static_cast<std::size_t>(k1 - k0);
    if (s_.base.compare) merge_output_stats(k1 - k0);
    write_block(*out_, block_.data(), bytes);
  }

  const ValueStats& output_stats() const { return output_stats_; }

private:
  // Per-thread: one row of output values and the kernel's weights along it.
  struct RowScratch {
    std::vector<W> row;
    std::vector<double> q[3], w[3];
    std::vector<std::int64_t> first[3];
    std::vector<unsigned char> inside;
    std::vector<W> cw[3];            // one voxel's nonzero weights per axis, as W
    std::vector<std::int64_t> ci[3]; // and their offsets
  };

  // Output planes per tile for a block of `planes` planes cut into `tiles`
  // tiles per plane: the whole block, halved until there are at least four
  // tiles per thread (small planes).
  static std::int64_t tile_depth(std::int64_t tiles, std::int64_t planes, int threads) {
    std::int64_t depth = planes;
    while (depth > 1 && tiles * ((planes + depth - 1) / depth) < 4 * static_cast<std::int64_t>(threads))
      depth = (depth + 1) / 2;
    return depth;
  }

  // Output voxels [x0, x1) x [y0, y1) x [ka, kb) of the block from plane k0.
  template <class Planes>
  ZSpan sample_tile(const Planes& src, std::int64_t k0, std::int64_t ka, std::int64_t kb, std::int64_t y0,
                    std::int64_t y1, std::int64_t x0, std::int64_t x1) {
    RowScratch& rs = scratch_.local();
    const auto count = static_cast<std::size_t>(x1 - x0);
    rs.row.resize(count * static_cast<std::size_t>(C_));
    for (int a = 0; a < 3; ++a) {
      rs.q[a].resize(count);
      rs.first[a].resize(count);
      rs.w[a].resize(count * static_cast<std::size_t>(taps_));
    }
    rs.inside.resize(count);
    for (int a = 0; a < 3; ++a) {
      rs.cw[a].resize(static_cast<std::size_t>(taps_));
      rs.ci[a].resize(static_cast<std::size_t>(taps_));
    }
    ZSpan span;
    for (std::int64_t k = ka; k < kb; ++k)
      for (std::int64_t j = y0; j < y1; ++j) {
        switch (taps_) {  // the common widths unrolled
          case 1: sample_row<1>(src, j, k, x0, x1, rs, span); break;
          case 2: sample_row<2>(src, j, k, x0, x1, rs, span); break;
          case 3: sample_row<3>(src, j, k, x0, x1, rs, span); break;
          case 4: sample_row<4>(src, j, k, x0, x1, rs, span); break;
          default: sample_row<0>(src, j, k, x0, x1, rs, span); break;
        }
        unsigned char* out = block_.data() + static_cast<std::size_t>(k - k0) * out_plane_bytes_ +
                             static_cast<std::size_t>((j * m_[0] + x0)) * static_cast<std::size_t>(out_voxel_);
        visit_datatype(s_.base.out_datatype, [&](auto tag) {
          using T = typename decltype(tag)::type;
          encode<T, W>(rs.row.data(), out, rs.row.size(), s_.base.int_rounding);
        });
      }
    return span;
  }

  // Output voxels [x0, x1) of row j of plane k into rs.row; widens `span` by
  // the coefficient planes they read. N: the kernel's support when it is
  // 1-4 (the taps unroll and stay in registers), 0 for any other.
  template <int N, class Planes>
  RESPACE_CLONES void sample_row(const Planes& src, std::int64_t j, std::int64_t k, std::int64_t x0, std::int64_t x1,
                  RowScratch& rs, ZSpan& span) const {
    const int taps = N > 0 ? N : taps_;
    const Mat4& v = s_.voxel_map;
    const W fill = static_cast<W>(s_.base.fill);
    const auto count = static_cast<std::size_t>(x1 - x0);
    // The positions along the row, axis by axis: q = p inside the field of
    // view, -1 (any finite index) where the voxel is fill; then the weights
    // of each axis for the whole row in one call.
    unsigned char* const inside = rs.inside.data();
    double* const q0 = rs.q[0].data();
    double* const q1 = rs.q[1].data();
    double* const q2 = rs.q[2].data();
    const double dj = static_cast<double>(j), dk = static_cast<double>(k);
    // Locals (the stores below cannot alias them) and closed bounds (p < hi
    // is p <= the double below hi), so the loop runs without branches and
    // vectorises.
    const double v00 = v[0][0], v01 = v[0][1], v02 = v[0][2], v03 = v[0][3];
    const double v10 = v[1][0], v11 = v[1][1], v12 = v[1][2], v13 = v[1][3];
    const double v20 = v[2][0], v21 = v[2][1], v22 = v[2][2], v23 = v[2][3];
    const double lo0 = fov_[0].lo, lo1 = fov_[1].lo, lo2 = fov_[2].lo;
    const double hi0 = closed_hi(fov_[0]), hi1 = closed_hi(fov_[1]), hi2 = closed_hi(fov_[2]);
    // x0 + i as a double, exactly: a tile is far narrower than 2^31 (an
    // int32 converts to double in a vector instruction, an int64 does not).
    const double dx0 = static_cast<double>(x0);
    const auto n32 = static_cast<std::int32_t>(count);
    for (std::int32_t i = 0; i < n32; ++i) {
      const double di = dx0 + static_cast<double>(i);
      q0[i] = v00 * di + v01 * dj + v02 * dk + v03;
      q1[i] = v10 * di + v11 * dj + v12 * dk + v13;
      q2[i] = v20 * di + v21 * dj + v22 * dk + v23;
    }
    for (std::size_t i = 0; i < count; ++i) {
      const double p0 = q0[i], p1 = q1[i], p2 = q2[i];
      const bool in = (p0 >= lo0) & (p0 <= hi0) & (p1 >= lo1) & (p1 <= hi1) & (p2 >= lo2) & (p2 <= hi2);
      inside[i] = static_cast<unsigned char>(in);
      q0[i] = in ? p0 : -1.0;
      q1[i] = in ? p1 : -1.0;
      q2[i] = in ? p2 : -1.0;
    }
    for (int a = 0; a < 3; ++a) kernel_.weights(rs.q[a].data(), count, 1.0, rs.first[a].data(), rs.w[a].data());
    const std::int64_t* const f0 = rs.first[0].data();
    const std::int64_t* const f1 = rs.first[1].data();
    const std::int64_t* const f2 = rs.first[2].data();
    const double* const w0 = rs.w[0].data();
    const double* const w1 = rs.w[1].data();
    const double* const w2 = rs.w[2].data();
    W* const row = rs.row.data();
    // One voxel's taps of nonzero weight (a zero weight never reads its
    // sample, so a NaN there stays out), in order, as W, with their
    // offsets: the loops below then run without a test per tap.
    constexpr int kFixed = N > 0 ? N : 1;
    W fcx[kFixed], fcy[kFixed], fcz[kFixed];
    std::int64_t fox[kFixed], foy[kFixed], foz[kFixed];
    W* const cx = N > 0 ? fcx : rs.cw[0].data();
    W* const cy = N > 0 ? fcy : rs.cw[1].data();
    W* const cz = N > 0 ? fcz : rs.cw[2].data();
    std::int64_t* const ox = N > 0 ? fox : rs.ci[0].data();
    std::int64_t* const oy = N > 0 ? foy : rs.ci[1].data();
    std::int64_t* const oz = N > 0 ? foz : rs.ci[2].data();
    std::int64_t lo = span.lo, hi = span.hi;
    const W* zplane[kFixed] = {};
    std::int64_t zfirst = INT64_MIN;
#if RESPACE_PAIR_TAPS
    const PairRow pr{inside, {f0, f1, f2}, {w0, w1, w2}, g_, row_};
    std::size_t next_try = 0;  // after a group that did not qualify, the next 8 voxels go scalar
#endif
    for (std::size_t i = 0; i < count; ++i) {
#if RESPACE_PAIR_TAPS
      if constexpr (std::is_same_v<W, float> && N == 2) {
        if (pairs_ && i >= next_try) {
          i += pair_taps(pr, i, count, row, [&](std::int64_t z) { return src.at(z); }, lo, hi);
          if (i >= count) break;
          next_try = i + 8;
        }
      }
#endif
      W* const dst = row + i * static_cast<std::size_t>(C_);
      if (!inside[i]) {
        std::fill(dst, dst + C_, fill);
        continue;
      }
      const std::int64_t fx = f0[i] + g_, fy = f1[i] + g_, fz = f2[i] + g_;
      const double* const wx = w0 + i * static_cast<std::size_t>(taps);
      const double* const wy = w1 + i * static_cast<std::size_t>(taps);
      const double* const wz = w2 + i * static_cast<std::size_t>(taps);
      lo = std::min(lo, fz);
      hi = std::max(hi, fz + taps - 1);
      if constexpr (N == 1) {
        // One tap: test its weight as it comes (cheaper than compacting).
        for (int c = 0; c < C_; ++c) {
          W sum = 0;
          for (int tz = 0; tz < N; ++tz) {
            if (wz[tz] == 0.0) continue;
            const W* pz = src.at(fz + tz) + c;
            W sy = 0;
            for (int t = 0; t < N; ++t) {
              if (wy[t] == 0.0) continue;
              const W* py = pz + (fy + t) * row_;
              W sx = 0;
              for (int u = 0; u < N; ++u)
                if (wx[u] != 0.0) sx += static_cast<W>(wx[u]) * py[(fx + u) * C_];
              sy += static_cast<W>(wy[t]) * sx;
            }
            sum += static_cast<W>(wz[tz]) * sy;
          }
          dst[c] = sum;
        }
        continue;
      }
      if constexpr (N > 1) {
        // Every x and y tap's weight nonzero (all but samples exactly on a
        // grid line): the same sums in the same order with the x and y trip
        // counts fixed, so those loops unroll; z taps of weight zero are
        // still dropped (a rotation within the slices samples each slice
        // exactly: z weights 1 and 0). The planes of the last fz are kept
        // (along a row fz changes rarely, and a ring plane's place divides).
        bool full = true;
        for (int t = 0; t < N; ++t) full = full && wx[t] != 0.0 && wy[t] != 0.0;
        if (full) {
          if (fz != zfirst) {
            for (int t = 0; t < N; ++t) zplane[t] = src.at(fz + t);
            zfirst = fz;
          }
          int nz = 0;
          for (int t = 0; t < N; ++t)
            if (wz[t] != 0.0) cz[nz] = static_cast<W>(wz[t]), oz[nz++] = t;
          for (int c = 0; c < C_; ++c) {
            W sum = 0;
            for (int tz = 0; tz < nz; ++tz) {
              const W* pz = zplane[oz[tz]] + c;
              W sy = 0;
              for (int t = 0; t < N; ++t) {
                const W* py = pz + (fy + t) * row_;
                W sx = 0;
                for (int u = 0; u < N; ++u) sx += static_cast<W>(wx[u]) * py[(fx + u) * C_];
                sy += static_cast<W>(wy[t]) * sx;
              }
              sum += cz[tz] * sy;
            }
            dst[c] = sum;
          }
          continue;
        }
      }
      int nx = 0, ny = 0, nz = 0;
      for (int t = 0; t < taps; ++t) {
        if (wx[t] != 0.0) cx[nx] = static_cast<W>(wx[t]), ox[nx++] = (fx + t) * C_;
        if (wy[t] != 0.0) cy[ny] = static_cast<W>(wy[t]), oy[ny++] = (fy + t) * row_;
        if (wz[t] != 0.0) cz[nz] = static_cast<W>(wz[t]), oz[nz++] = fz + t;
      }
      for (int c = 0; c < C_; ++c) {
        W sum = 0;
        for (int tz = 0; tz < nz; ++tz) {
          const W* pz = src.at(oz[tz]) + c;
          W sy = 0;
          for (int t = 0; t < ny; ++t) {
            const W* py = pz + oy[t];
            W sx = 0;
            for (int u = 0; u < nx; ++u) sx += cx[u] * py[ox[u]];
            sy += cy[t] * sx;
          }
          sum += cz[tz] * sy;
        }
        dst[c] = sum;
      }
    }
    span.lo = lo;
    span.hi = hi;
  }

  // The field of view's upper bound as an inclusive one.
  static double closed_hi(const FieldOfView& f) {
    return f.open_hi ? std::nextafter(f.hi, -std::numeric_limits<double>::infinity()) : f.hi;
  }

  void merge_output_stats(std::int64_t planes) {
    std::vector<W> row(static_cast<std::size_t>(m_[0] * C_));
    output_stats_.merge(stored_stats(block_.data(), static_cast<std::size_t>(planes * m_[1]), row.size(),
                                     s_.base.out_datatype, row.data()));
  }

  const GeneralSetup& s_;
  const GeneralMemory& plan_;
  const Kernel& kernel_;
  int g_ = 1, taps_ = 1, C_ = 1, out_voxel_ = 4;
  bool pairs_ = false;  // float, one channel, AVX2: linear taps 8 voxels at a time (engine/pair_taps.hpp)
  std::int64_t n_[3]{}, m_[3]{}, e_[3]{};
  FieldOfView fov_[3];
  std::int64_t row_ = 0, plane_ = 0;  // coefficient values per row, per plane
  std::size_t out_plane_bytes_ = 0;
  std::vector<unsigned char> block_;  // plan.block output planes, between begin() and end()
  ByteSink* out_ = nullptr;
  oneapi::tbb::enumerable_thread_specific<RowScratch> scratch_;
  ValueStats output_stats_;
};

}  // namespace respace
