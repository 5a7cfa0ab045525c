// SPDX-License-Identifier: MIT
#include "engine/pipeline.hpp"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_pipeline.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <vector>

#include "io/buffer_pool.hpp"
#include "engine/plane_resampler.hpp"
#include "engine/sample_codec.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace {

using PlaneRef = std::shared_ptr<BufferPool::Handle>;

struct Token {
  std::int64_t k0 = 0, k1 = 0;       // output planes [k0, k1)
  PlaneRange need;                   // input planes the z taps read
  std::vector<BufferPool::Handle> raw;
  std::vector<PlaneRef> made;        // intermediate planes of the new input planes
  std::vector<PlaneRef> taps;        // intermediate planes need.lo..need.hi
  BufferPool::Handle out;
  std::vector<ChunkPtr> chunks;      // gzip chunks this block completed
  std::vector<ValueStats> in_stats;  // per new input plane (--compare)
  std::vector<ValueStats> out_stats; // per output plane (--compare)

  void clear() {
    in_stats.clear();
    out_stats.clear();
    raw.clear();
    made.clear();
    taps.clear();
    out = BufferPool::Handle();
    chunks.clear();
  }
};

// The fixed token pool. It owns every Token for the pipeline's lifetime and
// the filters pass plain pointers: oneTBB 2021.8 does not destroy the items
// in flight when a filter throws (LeakSanitizer caught it), so nothing a
// token holds may depend on oneTBB giving it back. A token returns to the
// pool at the end of the write filter; after a failed run, release_all()
// takes every token back and releases what it held (buffers, chunks) while
// their pools still exist.
class TokenPool {
public:
  explicit TokenPool(int n) {
    for (int i = 0; i < n; ++i) add();
  }
  Token* take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) add();  // cannot happen: oneTBB caps live tokens
    Token* t = free_.back();
    free_.pop_back();
    ++live_;
    peak_ = std::max(peak_, live_);
    return t;
  }
  void give_back(Token* t) {
    t->clear();
    std::lock_guard<std::mutex> lock(mu_);
    --live_;
    free_.push_back(t);
  }
  void release_all() {
    std::lock_guard<std::mutex> lock(mu_);
    free_.clear();
    for (const auto& t : all_) {
      t->clear();
      free_.push_back(t.get());
    }
    live_ = 0;
  }
  int peak() const { std::lock_guard<std::mutex> lock(mu_); return peak_; }

private:
  void add() {
    all_.push_back(std::make_unique<Token>());
    free_.push_back(all_.back().get());
  }
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Token>> all_;
  std::vector<Token*> free_;
  int live_ = 0, peak_ = 0;
};

template <class W>
struct Scratch {
  std::vector<W> plane, tmp, row;
};

template <class W>
class Pipeline final : public PlanePass {
public:
  Pipeline(const ResampleSetup& s, const MemoryPlan& plan, const SeparableTables& tables)
      : setup_(s),
        plan_(plan),
        X_(interleave_channels(table_in<W>(tables.x), s.channels)),
        Y_(table_in<W>(tables.y)),
        Z_(table_in<W>(tables.z)),
        xy_order_(cheaper_xy_order(X_, Y_)),
        in_voxel_(scalar_bytes(s.in_datatype)),
        out_voxel_(scalar_bytes(s.out_datatype)),
        in_plane_bytes_(static_cast<std::size_t>(X_.n * Y_.n) * static_cast<std::size_t>(in_voxel_)),
        out_row_bytes_(static_cast<std::size_t>(X_.m) * static_cast<std::size_t>(out_voxel_)),
        raw_pool_(in_plane_bytes_, plan.raw_capacity),
        mid_pool_(static_cast<std::size_t>(X_.m * Y_.m) * sizeof(W), plan.mid_capacity),
        out_pool_(out_row_bytes_ * static_cast<std::size_t>(Y_.m * plan.block), plan.out_capacity),
        tokens_(plan.tokens) {
    // Blocks and, for each, the lowest input plane any block from it on reads.
    const BlockWindows windows = block_windows(z_ranges(Z_), plan.block);
    need_ = windows.need;
    suffix_lo_ = windows.keep;
    suffix_lo_.push_back(INT64_MAX);  // after the last block nothing is read
    raw_pool_.prefault();
    mid_pool_.prefault();
    out_pool_.prefault();
    x_all_inside_ = std::all_of(X_.inside.begin(), X_.inside.end(), [](unsigned char c) { return c != 0; });
    fill_row_.resize(out_row_bytes_);
    std::vector<W> fills(static_cast<std::size_t>(X_.m), static_cast<W>(s.fill));
    encode_row(fills.data(), fill_row_.data());
  }

  void run_volume(ByteSource& in, ByteSink& out, const PipelineHooks& hooks) override { run(in, &out, nullptr, hooks); }
  void run_planes(ByteSource& in, PlaneSink& out) override { run(in, nullptr, &out, {}); }

  RunStats stats() const override {
    RunStats st;
    st.pools.peak_live_tokens = tokens_.peak();
    st.pools.peak_raw = raw_pool_.peak_in_use();
    st.pools.peak_mid = mid_pool_.peak_in_use();
    st.pools.peak_out = out_pool_.peak_in_use();
    st.pools.overflows = raw_pool_.overflows() + mid_pool_.overflows() + out_pool_.overflows();
    st.planes_read = planes_read_;
    st.input = input_stats_;
    st.output = output_stats_;
    return st;
  }

private:
  // Into exactly one of `out` (bytes) and `planes` (values).
  void run(ByteSource& in, ByteSink* out, PlaneSink* planes, const PipelineHooks& hooks) {
    std::int64_t next_block = 0, read_pos = 0;
    std::deque<PlaneRef> ring;  // intermediate planes [ring_lo, ring_lo + size); at most mid_capacity
    std::int64_t ring_lo = 0;
    const auto nblocks = static_cast<std::int64_t>(need_.size());
    using Ptr = Token*;  // owned by tokens_

    auto read = [&](oneapi::tbb::flow_control& fc) -> Ptr {
      if (next_block == nblocks) {
        fc.stop();
        return nullptr;
      }
      Ptr t = tokens_.take();
      t->k0 = next_block * plan_.block;
      t->k1 = std::min(Z_.m, t->k0 + plan_.block);
      t->need = need_[static_cast<std::size_t>(next_block)];
      const std::int64_t until = t->need.any ? std::max(read_pos, t->need.hi + 1) : read_pos;
      for (; read_pos < until; ++read_pos) {
        t->raw.push_back(raw_pool_.acquire());
        in.read_exact(t->raw.back().data(), in_plane_bytes_);
        ++planes_read_;
      }
      ++next_block;
      return t;
    };

    // Within a token, planes and chunks are independent: the parallel stages
    // spread them over the threads too, so the last tokens of a volume do
    // not leave threads idle (deep blocks hold dozens of chunks).
    auto xy = [&](Ptr t) -> Ptr {
      t->made.resize(t->raw.size());
      if (setup_.compare) t->in_stats.assign(t->raw.size(), ValueStats{});
      oneapi::tbb::parallel_for(std::size_t{0}, t->raw.size(), [&](std::size_t i) {
        Scratch<W>& s = scratch_.local();
        auto mid = std::make_shared<BufferPool::Handle>(mid_pool_.acquire());
        const auto plane_n = static_cast<std::size_t>(X_.n * Y_.n);
        if (X_.identity && Y_.identity) {
          decode_plane(t->raw[i].data(), mid->template as<W>());  // z-only: no x/y work at all
          if (setup_.compare) t->in_stats[i] = ValueStats::of(mid->template as<W>(), plane_n);
        } else {
          s.plane.resize(plane_n);
          s.tmp.resize(xy_scratch_values(X_, Y_) + x_transpose_scratch_values(X_, Y_));
          decode_plane(t->raw[i].data(), s.plane.data());
          if (setup_.compare) t->in_stats[i] = ValueStats::of(s.plane.data(), plane_n);
          resample_plane(s.plane.data(), s.tmp.data(), mid->template as<W>(), X_, Y_, xy_order_);
        }
        t->made[i] = std::move(mid);
      });
      t->raw.clear();
      if (hooks.after_xy) hooks.after_xy(t->k0);
      return t;
    };

    auto link = [&](Ptr t) -> Ptr {
      for (const ValueStats& st : t->in_stats) input_stats_.merge(st);  // in plane order
      for (PlaneRef& p : t->made) ring.push_back(std::move(p));
      t->made.clear();
      if (t->need.any)
        for (std::int64_t zi = t->need.lo; zi <= t->need.hi; ++zi)
          t->taps.push_back(ring.at(static_cast<std::size_t>(zi - ring_lo)));
      const std::int64_t keep_from = suffix_lo_[static_cast<std::size_t>(t->k0 / plan_.block) + 1];
      while (!ring.empty() && ring_lo < keep_from) {
        ring.pop_front();
        ++ring_lo;
      }
      return t;
    };

    auto zpass = [&](Ptr t) -> Ptr {
      if (hooks.before_z) hooks.before_z(t->k0);
      t->out = out_pool_.acquire();
      // The general path's coefficient pass: only the input's statistics count.
      const bool out_stats = setup_.compare && !setup_.coefficients;
      if (out_stats) t->out_stats.assign(static_cast<std::size_t>(t->k1 - t->k0), ValueStats{});
      oneapi::tbb::parallel_for(t->k0, t->k1, [&](std::int64_t k) {
        Scratch<W>& s = scratch_.local();
        s.row.resize(static_cast<std::size_t>(X_.m));
        write_plane(*t, k, s.row.data());
        if (out_stats) t->out_stats[static_cast<std::size_t>(k - t->k0)] = plane_stats(*t, k, s.row.data());
      });
      t->taps.clear();
      return t;
    };

    const bool encodes = out && out->encodes();
    auto cut = [&](Ptr t) -> Ptr {
      if (encodes) {
        out->cut(t->out.data(), block_bytes(*t), t->chunks);
        t->out = BufferPool::Handle();  // its bytes are in the chunks now
      }
      return t;
    };

    auto encode = [&](Ptr t) -> Ptr {
      oneapi::tbb::parallel_for(std::size_t{0}, t->chunks.size(), [&](std::size_t i) { out->encode(*t->chunks[i]); });
      return t;
    };

    auto write = [&](Ptr t) {
      for (const ValueStats& st : t->out_stats) output_stats_.merge(st);  // in plane order
      if (planes) {
        const std::size_t plane_bytes = out_row_bytes_ * static_cast<std::size_t>(Y_.m);
        for (std::int64_t k = t->k0; k < t->k1; ++k)
          planes->take_plane(k, t->out.data() + static_cast<std::size_t>(k - t->k0) * plane_bytes, plane_bytes);
      } else if (!encodes) {
        out->write(t->out.data(), block_bytes(*t));
      }
      for (const ChunkPtr& c : t->chunks) out->write_chunk(*c);
      tokens_.give_back(t);
    };

    namespace tbb = oneapi::tbb;
    try {
      tbb::parallel_pipeline(
          static_cast<std::size_t>(plan_.tokens),
          tbb::make_filter<void, Ptr>(tbb::filter_mode::serial_in_order, read) &
              tbb::make_filter<Ptr, Ptr>(tbb::filter_mode::parallel, xy) &
              tbb::make_filter<Ptr, Ptr>(tbb::filter_mode::serial_in_order, link) &
              tbb::make_filter<Ptr, Ptr>(tbb::filter_mode::parallel, zpass) &
              tbb::make_filter<Ptr, Ptr>(tbb::filter_mode::serial_in_order, cut) &
              tbb::make_filter<Ptr, Ptr>(tbb::filter_mode::parallel, encode) &
              tbb::make_filter<Ptr, void>(tbb::filter_mode::serial_in_order, write));
    } catch (...) {
      ring.clear();
      tokens_.release_all();  // the tokens in flight, and what they hold
      throw;
    }
    // Input planes no output plane reads still have to be consumed (and,
    // with --compare, counted).
    if (!setup_.compare) {
      in.skip(static_cast<std::uint64_t>(in_plane_bytes_) * static_cast<std::uint64_t>(Z_.n - read_pos));
    } else if (read_pos < Z_.n) {
      BufferPool::Handle raw = raw_pool_.acquire();
      std::vector<W> plane(static_cast<std::size_t>(X_.n * Y_.n));
      for (std::int64_t z = read_pos; z < Z_.n; ++z) {
        in.read_exact(raw.data(), in_plane_bytes_);
        decode_plane(raw.data(), plane.data());
        input_stats_.merge(ValueStats::of(plane.data(), plane.size()));
      }
    }
    planes_read_ += static_cast<std::uint64_t>(Z_.n - read_pos);
  }

  // The statistics of output plane k as stored (after rounding and
  // clamping): each row decoded back from the bytes written, rows merged in
  // order.
  ValueStats plane_stats(const Token& t, std::int64_t k, W* row) const {
    const unsigned char* bytes = t.out.data() + static_cast<std::size_t>((k - t.k0) * Y_.m) * out_row_bytes_;
    return stored_stats(bytes, static_cast<std::size_t>(Y_.m), static_cast<std::size_t>(X_.m), setup_.out_datatype, row);
  }

  std::size_t block_bytes(const Token& t) const {
    return out_row_bytes_ * static_cast<std::size_t>(Y_.m * (t.k1 - t.k0));
  }

  void decode_plane(const unsigned char* raw, W* dst) const {
    const auto n = static_cast<std::size_t>(X_.n * Y_.n);
    visit_datatype(setup_.in_datatype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      decode<T, W>(raw, dst, n, setup_.in_swap);
    });
  }

  void encode_row(const W* src, unsigned char* dst) const {
    visit_datatype(setup_.out_datatype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      encode<T, W>(src, dst, static_cast<std::size_t>(X_.m), setup_.int_rounding);
    });
  }

  // Output plane k of token t into t.out.
  void write_plane(const Token& t, std::int64_t k, W* row) const {
    unsigned char* dst = t.out.data() + static_cast<std::size_t>((k - t.k0) * Y_.m) * out_row_bytes_;
    const auto kk = static_cast<std::size_t>(k);
    const int nt = Z_.ntap[kk];
    const std::int64_t* idx = Z_.taps(k);
    std::vector<const W*> src(static_cast<std::size_t>(Z_.max_taps));  // as wide as the table
    const bool add_fill_weight = setup_.boundary == Boundary::constant && setup_.fill != 0.0 &&
                                 !(X_.full_coverage && Y_.full_coverage && Z_.full_coverage);
    for (std::int64_t jy = 0; jy < Y_.m; ++jy, dst += out_row_bytes_) {
      if (!Z_.inside[kk] || !Y_.inside[static_cast<std::size_t>(jy)]) {
        std::memcpy(dst, fill_row_.data(), out_row_bytes_);
        continue;
      }
      for (int i = 0; i < nt; ++i)
        src[static_cast<std::size_t>(i)] = t.taps[static_cast<std::size_t>(idx[i] - t.need.lo)]->template as<W>() + jy * X_.m;
      combine(src.data(), Z_.weights(k), nt, row, static_cast<std::size_t>(X_.m));
      if (add_fill_weight)
        add_fill(row, static_cast<std::size_t>(X_.m), X_.coverage.data(),
                 Y_.coverage[static_cast<std::size_t>(jy)] * Z_.coverage[kk], static_cast<W>(setup_.fill));
      if (!x_all_inside_)
        for (std::int64_t jx = 0; jx < X_.m; ++jx)
          if (!X_.inside[static_cast<std::size_t>(jx)]) row[jx] = static_cast<W>(setup_.fill);
      encode_row(row, dst);
    }
  }

  ResampleSetup setup_;
  MemoryPlan plan_;
  AxisTable<W> X_, Y_, Z_;
  XyOrder xy_order_;
  int in_voxel_, out_voxel_;
  std::size_t in_plane_bytes_, out_row_bytes_;
  BufferPool raw_pool_, mid_pool_, out_pool_;
  TokenPool tokens_;
  std::vector<PlaneRange> need_;
  std::vector<std::int64_t> suffix_lo_;
  bool x_all_inside_ = true;
  std::vector<unsigned char> fill_row_;
  oneapi::tbb::enumerable_thread_specific<Scratch<W>> scratch_;
  std::uint64_t planes_read_ = 0;
  ValueStats input_stats_, output_stats_;
};

}  // namespace

std::unique_ptr<PlanePass> make_pipeline(const ResampleSetup& s, const MemoryPlan& plan, const SeparableTables& t) {
  if (work_bytes(s) == 8) return std::make_unique<Pipeline<double>>(s, plan, t);
  return std::make_unique<Pipeline<float>>(s, plan, t);
}

}  // namespace respace
