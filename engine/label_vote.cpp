// SPDX-License-Identifier: MIT
#include "engine/label_vote.hpp"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <vector>

#include "engine/ballot.hpp"
#include "engine/label_ring.hpp"
#include "engine/sample_codec.hpp"
#include "io/byte_size.hpp"
#include "io/error.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace {

std::uint64_t u(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// `held`: block_windows(z.planes, block).held_max, measured once per depth
// by the caller (the planes may number millions, the threads thousands).
VoteMemory cost(const VoteSizes& z, int threads, int block, std::int64_t held, std::uint64_t limit, bool gzip_output,
                std::uint64_t deflater_bytes) {
  VoteMemory m;
  m.limit = limit;
  m.threads = threads;
  m.block = block;
  const auto label = static_cast<std::uint64_t>(z.label_bytes);
  m.ring_planes = std::max<std::int64_t>(1, held);
  m.ring_bytes = u(m.ring_planes) * z.in_plane_values * label;
  m.block_bytes = u(block) * z.out_plane_values * label;
  m.scratch_bytes = u(threads) * z.footprint_pairs * 2 * (sizeof(double) + 8);  // pairs and their merge
  m.table_bytes = z.table_bytes;
  if (gzip_output) {
    m.chunk_capacity = static_cast<std::size_t>((m.block_bytes + kChunkBytes - 1) / kChunkBytes + 1);
    m.codec_bytes = m.chunk_capacity * chunk_buffer_bytes() + u(threads) * deflater_bytes;
  }
  return m;
}

template <class T>
class Vote final : public Resampler {
public:
  Vote(const ResampleSetup& s, const VoteMemory& plan, std::shared_ptr<const SeparableTables> tables)
      : s_(s),
        plan_(plan),
        t_(std::move(tables)),
        X_(t_->x),
        Y_(t_->y),
        Z_(t_->z),
        ring_(static_cast<std::size_t>(X_.n * Y_.n), plan.ring_planes, s.in_swap) {
    const BlockWindows w = block_windows(z_ranges(Z_), plan.block);
    ready_ = w.ready;
    fill_ = static_cast<T>(s.fill);
    add_fill_ = s.boundary == Boundary::constant && !(X_.full_coverage && Y_.full_coverage && Z_.full_coverage);
  }

  void run_volume(ByteSource& in, ByteSink& out, const PipelineHooks& /*hooks*/) override {
    run_label_volume(in, out, ring_, counts_, ready_, Z_.n, Z_.m, plan_.block, static_cast<std::size_t>(X_.m * Y_.m),
                     [this](std::int64_t k0, std::int64_t k1, std::int64_t have, T* dst) { vote_block(k0, k1, have, dst); });
    planes_read_ += u(Z_.n);
  }

  RunStats stats() const override {
    RunStats st;
    st.planes_read = planes_read_;
    st.labels = counts_.stats();
    return st;
  }

private:
  // Output planes [k0, k1), from the ring (planes [have - ring, have)).
  void vote_block(std::int64_t k0, std::int64_t k1, std::int64_t have, T* block) {
    const std::int64_t rows = (k1 - k0) * Y_.m;
    oneapi::tbb::parallel_for(std::int64_t{0}, rows, [&](std::int64_t r) {
      const std::int64_t k = k0 + r / Y_.m, j = r % Y_.m;
      Ballot<T>& ballot = ballots_.local();
      T* out = block + static_cast<std::size_t>(r * X_.m);
      const auto kk = static_cast<std::size_t>(k), jj = static_cast<std::size_t>(j);
      if (!Z_.inside[kk] || !Y_.inside[jj]) {
        std::fill(out, out + X_.m, fill_);
        return;
      }
      for (std::int64_t i = 0; i < X_.m; ++i) {
        const auto ii = static_cast<std::size_t>(i);
        if (!X_.inside[ii]) {
          out[i] = fill_;
          continue;
        }
        ballot.clear();
        for (int tz = 0; tz < Z_.ntap[kk]; ++tz) {
          const std::int64_t z = Z_.taps(k)[tz];
          const T* pz = ring_.plane(z, have);
          for (int ty = 0; ty < Y_.ntap[jj]; ++ty) {
            const T* row = pz + static_cast<std::size_t>(Y_.taps(j)[ty] * X_.n);
            const double wzy = Z_.weights(k)[tz] * Y_.weights(j)[ty];
            // Runs of equal labels along x first: one pair a run.
            const std::int64_t* xi = X_.taps(i);
            const double* xw = X_.weights(i);
            T run = row[xi[0]];
            double sum = xw[0];
            for (int tx = 1; tx < X_.ntap[ii]; ++tx) {
              const T l = row[xi[tx]];
              if (l == run) {
                sum += xw[tx];
              } else {
                ballot.add(run, wzy * sum);
                run = l;
                sum = xw[tx];
              }
            }
            ballot.add(run, wzy * sum);
          }
        }
        if (add_fill_) ballot.add(fill_, 1.0 - X_.coverage[ii] * Y_.coverage[jj] * Z_.coverage[kk]);
        out[i] = ballot.empty() ? fill_ : ballot.winner();
      }
    });
  }

  ResampleSetup s_;
  VoteMemory plan_;
  std::shared_ptr<const SeparableTables> t_;
  const AxisTable<double>& X_;
  const AxisTable<double>& Y_;
  const AxisTable<double>& Z_;
  std::vector<std::int64_t> ready_;
  LabelRing<T> ring_;  // plan.ring_planes input planes
  T fill_{};
  bool add_fill_ = false;
  oneapi::tbb::enumerable_thread_specific<Ballot<T>> ballots_;
  std::uint64_t planes_read_ = 0;
  LabelCounts<T> counts_;
};

}  // namespace

VoteMemory vote_memory(const VoteSizes& z, int threads, std::uint64_t limit, bool gzip_output,
                       std::uint64_t deflater_bytes, bool smallest) {
  const std::uint64_t budget = limit > kProcessReserve ? limit - kProcessReserve : 0;
  const std::uint64_t target = std::min(budget, kWorkingSetTarget);
  // Planes held per block depth 2^i (1 to 16), measured when first asked.
  std::int64_t held[5] = {-1, -1, -1, -1, -1};
  const auto held_for = [&](int block) {
    std::int64_t& h = held[__builtin_ctz(static_cast<unsigned>(block))];
    if (h < 0) h = block_windows(z.planes, block).held_max;
    return h;
  };
  for (int th = smallest ? 1 : std::max(1, threads); th >= 1; --th)
    for (int block = smallest ? 1 : 16; block >= 1; block /= 2) {
      const VoteMemory m = cost(z, th, block, held_for(block), limit, gzip_output, deflater_bytes);
      if (m.total() <= target || (block == 1 && m.total() <= budget)) return m;
    }
  const VoteMemory least = cost(z, 1, 1, held_for(1), limit, gzip_output, deflater_bytes);
  throw Error(ExitCode::memory_limit,
              "--memory-limit " + format_bytes(limit) + " is too small for this label map" + z.where +
                  ": the vote holds " + std::to_string(least.ring_planes) + " input planes at once (" +
                  format_bytes(least.ring_bytes) + ") and needs " + format_bytes(least.total() + kProcessReserve) +
                  " in all");
}

VoteMemory plan_vote_memory(const ResampleSetup& s, const SeparableTables& t, int threads, std::uint64_t limit,
                            bool gzip_output, std::uint64_t deflater_bytes, bool smallest) {
  VoteSizes z;
  z.planes = z_ranges(t.z);
  z.in_plane_values = u(t.x.n) * u(t.y.n);
  z.out_plane_values = u(t.x.m) * u(t.y.m);
  z.label_bytes = scalar_bytes(s.in_datatype);
  z.footprint_pairs = u(t.x.max_taps) * u(t.y.max_taps) * u(t.z.max_taps) + 1;  // + the fill label's
  for (const AxisTable<double>* a : {&t.x, &t.y, &t.z})
    z.table_bytes += u(a->m) * u(a->max_taps) * 16 + u(a->m) * 24;
  return vote_memory(z, threads, limit, gzip_output, deflater_bytes, smallest);
}

std::unique_ptr<Resampler> make_vote_resampler(const ResampleSetup& s, const VoteMemory& plan,
                                               std::shared_ptr<const SeparableTables> tables) {
  return visit_datatype(s.in_datatype, [&](auto tag) -> std::unique_ptr<Resampler> {
    using T = typename decltype(tag)::type;
    return std::make_unique<Vote<T>>(s, plan, std::move(tables));
  });
}

}  // namespace respace
