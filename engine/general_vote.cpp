// SPDX-License-Identifier: MIT
#include "engine/general_vote.hpp"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <vector>

#include "engine/ballot.hpp"
#include "engine/block_windows.hpp"
#include "engine/bspline.hpp"
#include "engine/coefficient_ring.hpp"
#include "engine/field_of_view.hpp"
#include "engine/label_ring.hpp"
#include "engine/sample_codec.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace {

std::uint64_t u(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// Crop index i along axis a -> the crop index the boundary rule reads, or -1
// (constant: the fill label).
std::int64_t boundary_index(std::int64_t i, std::int64_t n, Boundary b) {
  switch (b) {
    case Boundary::nearest: return std::clamp<std::int64_t>(i, 0, n - 1);
    case Boundary::mirror: return extend_index(i, 0, n - 1, Extension::mirror);
    case Boundary::reflect: return extend_index(i, 0, n - 1, Extension::reflect);
    case Boundary::constant: return i < 0 || i >= n ? -1 : i;
  }
  return -1;
}

// The crop indices taps a..b read through the boundary rule, in O(1): the
// rule maps consecutive taps to a path that moves by at most one index a
// step, so what they read is the interval between the path's extremes,
// found at a, at b, and at the turns of mirror and reflect in between.
PlaneRange mapped_range(std::int64_t a, std::int64_t b, std::int64_t n, Boundary boundary) {
  PlaneRange r;
  if (boundary == Boundary::constant) {
    r.lo = std::max<std::int64_t>(a, 0);
    r.hi = std::min<std::int64_t>(b, n - 1);
    r.any = r.lo <= r.hi;
    return r;
  }
  r.any = true;
  if (boundary == Boundary::nearest || n == 1) {
    r.lo = std::clamp<std::int64_t>(a, 0, n - 1);
    r.hi = std::clamp<std::int64_t>(b, 0, n - 1);
    return r;
  }
  const std::int64_t period = boundary == Boundary::mirror ? 2 * (n - 1) : 2 * n;
  if (b - a + 1 >= period) {
    r.lo = 0;
    r.hi = n - 1;
    return r;
  }
  r.lo = r.hi = boundary_index(a, n, boundary);
  const auto visit = [&](std::int64_t t) {
    if (t < a || t > b) return;
    const std::int64_t z = boundary_index(t, n, boundary);
    r.lo = std::min(r.lo, z);
    r.hi = std::max(r.hi, z);
  };
  visit(b);
  const std::int64_t j0 = a >= 0 ? a / period : -((-a + period - 1) / period);
  for (std::int64_t j = j0 - 1; j <= j0 + 2; ++j)
    for (const std::int64_t off : {std::int64_t{-1}, std::int64_t{0}, n - 1, n}) visit(j * period + off);
  return r;
}

// For each output plane, the stored input planes its footprint reads.
std::vector<PlaneRange> plane_ranges(const GeneralSetup& s) {
  const AxisMap& az = s.base.grid.axis[2];
  const std::int64_t m[3] = {s.base.grid.axis[0].m, s.base.grid.axis[1].m, az.m};
  std::vector<double> w;
  std::vector<PlaneRange> planes(static_cast<std::size_t>(m[2]));
  for (std::int64_t k = 0; k < m[2]; ++k) {
    const PlaneRange t = plane_taps_z(s.voxel_map, m, k, az.n, *s.base.kernel, w);
    if (!t.any) continue;  // all fill
    PlaneRange r = mapped_range(t.lo, t.hi, az.n, s.base.boundary);
    if (r.any) r.lo += az.first, r.hi += az.first;  // stored planes
    planes[static_cast<std::size_t>(k)] = r;
  }
  return planes;
}

template <class T>
class GeneralVote final : public Resampler {
public:
  GeneralVote(const GeneralSetup& s, const VoteMemory& plan)
      : s_(s),
        plan_(plan),
        kernel_(*s.base.kernel),
        ring_(static_cast<std::size_t>(s.base.grid.axis[0].stored_n() * s.base.grid.axis[1].stored_n()), plan.ring_planes,
              s.base.in_swap) {
    const BlockWindows w = block_windows(plane_ranges(s), plan.block);
    ready_ = w.ready;
    for (std::size_t a = 0; a < 3; ++a) {
      const AxisMap& ax = s.base.grid.axis[a];
      n_[a] = ax.n;
      fov_[a] = field_of_view(ax.fov, ax.n);
      m_[a] = ax.m;
      first_[a] = ax.first;
      stored_[a] = ax.stored_n();
    }
    fill_ = static_cast<T>(s.base.fill);
    taps_ = kernel_.support(1.0);
  }

  void run_volume(ByteSource& in, ByteSink& out, const PipelineHooks& /*hooks*/) override {
    run_label_volume(in, out, ring_, counts_, ready_, stored_[2], m_[2], plan_.block,
                     static_cast<std::size_t>(m_[0] * m_[1]),
                     [this](std::int64_t k0, std::int64_t k1, std::int64_t have, T* dst) { vote_block(k0, k1, have, dst); });
    planes_read_ += u(stored_[2]);
  }

  RunStats stats() const override {
    RunStats st;
    st.planes_read = planes_read_;
    st.labels = counts_.stats();
    return st;
  }

private:
  struct Scratch {
    Ballot<T> ballot;
    std::vector<double> w[3];
  };

  void vote_block(std::int64_t k0, std::int64_t k1, std::int64_t have, T* block) {
    const Mat4& v = s_.voxel_map;
    const std::int64_t rows = (k1 - k0) * m_[1];
    oneapi::tbb::parallel_for(std::int64_t{0}, rows, [&](std::int64_t r) {
      const std::int64_t k = k0 + r / m_[1], j = r % m_[1];
      Scratch& sc = scratch_.local();
      for (auto& w : sc.w) w.resize(static_cast<std::size_t>(taps_));
      T* out = block + static_cast<std::size_t>(r * m_[0]);
      for (std::int64_t i = 0; i < m_[0]; ++i) {
        double p[3];
        bool inside = true;
        for (int a = 0; a < 3; ++a) {
          p[a] = v[a][0] * static_cast<double>(i) + v[a][1] * static_cast<double>(j) +
                 v[a][2] * static_cast<double>(k) + v[a][3];
          inside = inside && fov_[a].contains(p[a]);
        }
        if (!inside) {
          out[i] = fill_;
          continue;
        }
        std::int64_t first[3];
        for (int a = 0; a < 3; ++a) first[a] = kernel_.weights_at(p[a], 1.0, sc.w[a].data());
        Ballot<T>& ballot = sc.ballot;
        ballot.clear();
        for (int tz = 0; tz < taps_; ++tz) {
          const double wz = sc.w[2][static_cast<std::size_t>(tz)];
          if (wz == 0.0) continue;
          const std::int64_t z = boundary_index(first[2] + tz, n_[2], s_.base.boundary);
          for (int ty = 0; ty < taps_; ++ty) {
            const double wy = sc.w[1][static_cast<std::size_t>(ty)];
            if (wy == 0.0) continue;
            const std::int64_t y = boundary_index(first[1] + ty, n_[1], s_.base.boundary);
            for (int tx = 0; tx < taps_; ++tx) {
              const double wx = sc.w[0][static_cast<std::size_t>(tx)];
              if (wx == 0.0) continue;
              const std::int64_t x = boundary_index(first[0] + tx, n_[0], s_.base.boundary);
              const double w = wz * wy * wx;
              if (z < 0 || y < 0 || x < 0) {
                ballot.add(fill_, w);
                continue;
              }
              ballot.add(ring_.plane(z + first_[2], have)[static_cast<std::size_t>((y + first_[1]) * stored_[0] + x + first_[0])], w);
            }
          }
        }
        out[i] = ballot.empty() ? fill_ : ballot.winner();
      }
    });
  }

  GeneralSetup s_;
  VoteMemory plan_;
  const Kernel& kernel_;
  std::vector<std::int64_t> ready_;
  std::int64_t n_[3]{}, m_[3]{}, first_[3]{}, stored_[3]{};
  FieldOfView fov_[3];
  LabelRing<T> ring_;
  T fill_{};
  int taps_ = 1;
  oneapi::tbb::enumerable_thread_specific<Scratch> scratch_;
  std::uint64_t planes_read_ = 0;
  LabelCounts<T> counts_;
};

}  // namespace

VoteMemory plan_general_vote_memory(const GeneralSetup& s, int threads, std::uint64_t limit, bool gzip_output,
                                    std::uint64_t deflater_bytes, bool smallest) {
  const ResampleSetup& b = s.base;
  VoteSizes z;
  z.planes = plane_ranges(s);
  z.in_plane_values = u(b.grid.axis[0].stored_n()) * u(b.grid.axis[1].stored_n());
  z.out_plane_values = u(b.grid.axis[0].m) * u(b.grid.axis[1].m);
  z.label_bytes = scalar_bytes(b.in_datatype);
  const std::uint64_t taps = u(b.kernel->support(1.0));
  z.footprint_pairs = taps * taps * taps + 1;  // + the fill label's
  z.table_bytes = u(b.grid.axis[2].m) * 48;    // the plane ranges and windows
  z.where = " on the general path";
  return vote_memory(z, threads, limit, gzip_output, deflater_bytes, smallest);
}

std::unique_ptr<Resampler> make_general_vote(const GeneralSetup& s, const VoteMemory& plan) {
  return visit_datatype(s.base.in_datatype, [&](auto tag) -> std::unique_ptr<Resampler> {
    using T = typename decltype(tag)::type;
    return std::make_unique<GeneralVote<T>>(s, plan);
  });
}

}  // namespace respace
