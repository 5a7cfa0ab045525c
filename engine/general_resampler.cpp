// SPDX-License-Identifier: MIT
#include "engine/general_resampler.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include "engine/bspline.hpp"
#include "engine/coefficient_ring.hpp"
#include "engine/pipeline.hpp"
#include "engine/sample_codec.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_sink.hpp"
#include "io/error.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kFaultAround = 64 << 10;  // Linux's default fault_around_bytes

std::int64_t extended(const AxisMap& a, Order o) { return a.n + 2 * coefficient_margin(o); }

int work_bytes(const ResampleSetup& s) {
  return needs_double(s.in_datatype) || needs_double(s.out_datatype) ? 8 : 4;
}

// Pages one tile of T x T x `depth` output voxels can touch in the mapped
// coefficient file: the input box its corners span plus the taps.
std::uint64_t tile_footprint(const GeneralSetup& s, int tile, int depth) {
  const Mat4& v = s.voxel_map;
  const int taps = static_cast<int>(s.base.order) + 2;
  double e[3];
  for (int r = 0; r < 3; ++r)
    e[r] = (std::fabs(v[r][0]) + std::fabs(v[r][1])) * (tile - 1) + std::fabs(v[r][2]) * (depth - 1) + taps;
  const Order o = s.base.order;
  const auto wb = static_cast<std::uint64_t>(work_bytes(s.base) * s.base.channels);
  const auto nx = static_cast<std::uint64_t>(extended(s.base.grid.axis[0], o));
  const auto ny = static_cast<double>(extended(s.base.grid.axis[1], o));
  const auto nz = static_cast<double>(extended(s.base.grid.axis[2], o));
  const double ey = std::min(e[1], ny), ez = std::min(e[2], nz);
  // A read fault maps the fault-around window (64 KiB) of small folios.
  const std::uint64_t row = nx * wb;
  const std::uint64_t per_row = std::min(row, static_cast<std::uint64_t>(e[0]) * wb) / kPage + 1 + kFaultAround / kPage;
  const std::uint64_t by_rows = static_cast<std::uint64_t>(ey * ez) * per_row;
  const std::uint64_t by_planes =
      static_cast<std::uint64_t>(ez) * ((static_cast<std::uint64_t>(ey) * row + 2 * kFaultAround) / kPage + 1);
  return std::min(by_rows, by_planes) * kPage;
}

// Output planes per tile for a block of `planes` planes cut into `tiles`
// tiles per plane: the whole block, halved until there are at least four
// tiles per thread (small planes).
std::int64_t tile_depth(std::int64_t tiles, std::int64_t planes, int threads) {
  std::int64_t depth = planes;
  while (depth > 1 && tiles * ((planes + depth - 1) / depth) < 4 * static_cast<std::int64_t>(threads))
    depth = (depth + 1) / 2;
  return depth;
}

struct Mapping {
  void* base = MAP_FAILED;
  std::size_t bytes = 0;
  Mapping(int fd, std::size_t n, const std::string& path) : bytes(n) {
    base = ::mmap(nullptr, n, PROT_READ, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED)
      throw Error(ExitCode::memory_limit, path + ": cannot map the coefficient file: " + std::strerror(errno));
  }
  ~Mapping() {
    if (base != MAP_FAILED) ::munmap(base, bytes);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  // Drops the pages of [lo, hi) from this process (not from the page cache).
  void release(std::uint64_t lo, std::uint64_t hi) const {
    lo = lo / kPage * kPage;
    hi = std::min<std::uint64_t>(bytes, (hi + kPage - 1) / kPage * kPage);
    if (hi > lo) ::madvise(static_cast<char*>(base) + lo, hi - lo, MADV_DONTNEED);
  }
};

// The coefficient file is written in small pieces on purpose: the page cache
// gives a write() folios as large as the write (up to 2 MiB on ext4 since
// Linux 6.16), and a read fault on the mapping then maps the whole folio,
// so the pages one tile maps would follow the folio size, not the tile.
// kFileWrite-byte writes keep the mapped granularity near a page; measured
// on a 90-degree rotation (tests/cli/target_cli_test.cpp): 1 MiB writes
// mapped about 30 MiB per 64 x 64 tile, 16 KiB writes at most about 10 MiB
// (peak RSS of that 512 MiB run under --memory-limit 128M: 189 MiB, then
// 106 MiB).
constexpr std::size_t kFileWrite = 16 << 10;

// The ring the planner sizes and the resampler runs, for blocks of `block`.
RingPlan ring_for(const GeneralSetup& s, int block) {
  std::int64_t n[3], m[3];
  for (std::size_t k = 0; k < 3; ++k) {
    n[k] = s.base.grid.axis[k].n;
    m[k] = s.base.grid.axis[k].m;
  }
  return plan_ring(s.voxel_map, n, m, static_cast<int>(s.base.order), coefficient_margin(s.base.order), block);
}

// Where a tile's taps read their coefficient planes from.
template <class W>
struct FilePlanes {
  const W* base;
  std::int64_t plane;  // values per extended plane
  const W* at(std::int64_t z) const { return base + z * plane; }
};
template <class W>
struct RingPlanes {
  const CoefficientRing* ring;
  const W* at(std::int64_t z) const { return reinterpret_cast<const W*>(ring->plane(z)); }
};

// The extended coefficient planes one tile read (hi < lo: none).
struct ZSpan {
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
};

template <class W>
class General final : public Resampler {
public:
  General(const GeneralSetup& s, const GeneralMemory& plan) : s_(s), plan_(plan), coef_(coefficient_setup(s)) {
    const Order o = s.base.order;
    g_ = coefficient_margin(o);
    for (int k = 0; k < 3; ++k) {
      n_[k] = s.base.grid.axis[static_cast<std::size_t>(k)].n;
      m_[k] = s.base.grid.axis[static_cast<std::size_t>(k)].m;
      e_[k] = extended(s.base.grid.axis[static_cast<std::size_t>(k)], o);
    }
    C_ = s.base.channels;
    row_ = e_[0] * C_;
    plane_ = row_ * e_[1];
    file_bytes_ = static_cast<std::uint64_t>(plane_ * e_[2]) * sizeof(W);
    out_voxel_ = scalar_bytes(s.base.out_datatype) * C_;
    out_plane_bytes_ = static_cast<std::size_t>(m_[0] * m_[1]) * static_cast<std::size_t>(out_voxel_);
    if (plan.ring) {
      ring_plan_ = ring_for(s, plan.block);
      ring_ = std::make_unique<CoefficientRing>(static_cast<std::size_t>(plane_) * sizeof(W), ring_plan_,
                                                [this](std::int64_t b) { emit_ring_block(b); });
    } else {
      temp_.emplace(s.temp_dir, "coefficients");
      stats_.temp_file = temp_->path();
      stats_.temp_file_bytes = file_bytes_;
    }
  }

  void run_volume(ByteSource& in, ByteSink& out, const PipelineHooks& /*hooks*/) override {
    out_ = &out;
    if (plan_.ring)
      run_from_ring(in);
    else
      run_from_file(in);
    std::vector<unsigned char>().swap(block_);
    out_ = nullptr;
  }

  PipelineStats stats() const override { return stats_; }

private:
  // Phase 1 feeds the ring, which runs each block of output as soon as the
  // planes it reads are in: both phases at once, nothing on disk.
  void run_from_ring(ByteSource& in) {
    block_.resize(out_plane_bytes_ * static_cast<std::size_t>(plan_.block));
    ring_->reset();
    run_coefficients(in, *ring_);
    ring_->finish();
  }

  void emit_ring_block(std::int64_t b) {
    const std::int64_t k0 = b * plan_.block, k1 = std::min(m_[2], k0 + plan_.block);
    const RingPlanes<W> src{ring_.get()};
    compute_block(k0, k1, src, [&](const ZSpan& z) {
      if (z.hi >= z.lo && !ring_->holds(z.lo, z.hi))
        throw std::logic_error("general path: a tile read coefficient planes the ring does not hold");
    });
  }

  // Phase 1 writes the whole coefficient volume to the temporary file;
  // phase 2 maps it and runs every block.
  void run_from_file(ByteSource& in) {
    const int fd = temp_->fd();
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0)
      throw Error(ExitCode::bad_output, temp_->path() + ": cannot reset the coefficient file: " + std::strerror(errno));
    SinkOptions small_writes;
    small_writes.max_write = kFileWrite;
    std::unique_ptr<ByteSink> sink = make_byte_sink(fd, temp_->path(), small_writes);
    run_coefficients(in, *sink);
    sink->finish();
    const Mapping map(fd, static_cast<std::size_t>(file_bytes_), temp_->path());
    block_.resize(  // only now: not during phase 1
        out_plane_bytes_ * static_cast<std::size_t>(plan_.block));
    const FilePlanes<W> src{static_cast<const W*>(map.base), plane_};
    for (std::int64_t k0 = 0; k0 < m_[2]; k0 += plan_.block)
      compute_block(k0, std::min(m_[2], k0 + plan_.block), src, [&](const ZSpan& z) {
        if (z.hi >= z.lo)
          map.release(static_cast<std::uint64_t>(z.lo) * static_cast<std::uint64_t>(plane_) * sizeof(W),
                      static_cast<std::uint64_t>(z.hi + 1) * static_cast<std::uint64_t>(plane_) * sizeof(W));
      });
    struct stat st;
    stats_.temp_file_removed = ::stat(temp_->path().c_str(), &st) != 0;
  }

  // The coefficient volume of this 3-D volume into `sink`.
  void run_coefficients(ByteSource& in, ByteSink& sink) {
    std::unique_ptr<Resampler> pipeline = make_resampler(coef_, plan_.coefficients);
    pipeline->run_volume(in, sink);
    const PipelineStats st = pipeline->stats();
    stats_.input.merge(st.input);
    stats_.planes_read += st.planes_read;
  }

  // Output planes [k0, k1): tiles in parallel, then encoded and written.
  // A tile spans the block's planes, so the input pages (or cache lines) it
  // reads serve all of them: a 90-degree turn reads one input column per
  // output plane, and neighbouring columns share their pages. It is thinner
  // only when a block has too few tiles to keep the threads busy.
  // after_tile(span) runs on the tile's worker once the tile is done.
  template <class Planes, class AfterTile>
  void compute_block(std::int64_t k0, std::int64_t k1, const Planes& src, const AfterTile& after_tile) {
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
    ByteSink& out = *out_;
    if (out.encodes()) {
      std::vector<ChunkPtr> chunks;
      out.cut(block_.data(), bytes, chunks);
      oneapi::tbb::parallel_for(std::size_t{0}, chunks.size(), [&](std::size_t i) { out.encode(*chunks[i]); });
      for (const ChunkPtr& c : chunks) out.write_chunk(*c);
    } else {
      out.write(block_.data(), bytes);
    }
  }

  // Output voxels [x0, x1) x [y0, y1) x [ka, kb) of the block from plane k0.
  template <class Planes>
  ZSpan sample_tile(const Planes& src, std::int64_t k0, std::int64_t ka, std::int64_t kb, std::int64_t y0,
                    std::int64_t y1, std::int64_t x0, std::int64_t x1) {
    std::vector<W>& row = rows_.local();
    row.resize(static_cast<std::size_t>((x1 - x0) * C_));
    ZSpan span;
    for (std::int64_t j = y0; j < y1; ++j)
      for (std::int64_t k = ka; k < kb; ++k) {
        switch (s_.base.order) {
          case Order::nearest: sample_row<0>(src, j, k, x0, x1, row.data(), span); break;
          case Order::linear: sample_row<1>(src, j, k, x0, x1, row.data(), span); break;
          case Order::quadratic: sample_row<2>(src, j, k, x0, x1, row.data(), span); break;
          case Order::cubic: sample_row<3>(src, j, k, x0, x1, row.data(), span); break;
        }
        unsigned char* out = block_.data() + static_cast<std::size_t>(k - k0) * out_plane_bytes_ +
                             static_cast<std::size_t>((j * m_[0] + x0)) * static_cast<std::size_t>(out_voxel_);
        visit_datatype(s_.base.out_datatype, [&](auto tag) {
          using T = typename decltype(tag)::type;
          encode<T, W>(row.data(), out, row.size());
        });
      }
    return span;
  }

  // Output voxels [x0, x1) of row j of plane k into `row`; widens `span` by
  // the coefficient planes they read. One instance per order, so the taps
  // unroll.
  template <int ord, class Planes>
  void sample_row(const Planes& src, std::int64_t j, std::int64_t k, std::int64_t x0, std::int64_t x1, W* row,
                  ZSpan& span) const {
    const Mat4& v = s_.voxel_map;
    const W fill = static_cast<W>(s_.base.fill);
    for (std::int64_t i = x0; i < x1; ++i) {
      W* dst = row + (i - x0) * C_;
      double p[3];
      bool inside = true;
      for (int a = 0; a < 3; ++a) {
        p[a] = v[a][0] * static_cast<double>(i) + v[a][1] * static_cast<double>(j) +
               v[a][2] * static_cast<double>(k) + v[a][3];
        inside = inside && p[a] >= -0.5 && p[a] <= static_cast<double>(n_[a]) - 0.5;
      }
      if (!inside) {
        std::fill(dst, dst + C_, fill);
        continue;
      }
      double w[3][4];
      std::int64_t first[3];
      for (int a = 0; a < 3; ++a) first[a] = spline_weights<ord>(p[a], w[a]) + g_;
      span.lo = std::min(span.lo, first[2]);
      span.hi = std::max(span.hi, first[2] + ord);
      for (int c = 0; c < C_; ++c) {
        W sum = 0;
        for (int tz = 0; tz <= ord; ++tz) {
          if (w[2][tz] == 0.0) continue;
          const W* pz = src.at(first[2] + tz);
          W sy = 0;
          for (int t = 0; t <= ord; ++t) {
            if (w[1][t] == 0.0) continue;
            const W* py = pz + (first[1] + t) * row_ + c;
            W sx = 0;
            for (int u = 0; u <= ord; ++u)
              if (w[0][u] != 0.0) sx += static_cast<W>(w[0][u]) * py[(first[0] + u) * C_];
            sy += static_cast<W>(w[1][t]) * sx;
          }
          sum += static_cast<W>(w[2][tz]) * sy;
        }
        dst[c] = sum;
      }
    }
  }

  void merge_output_stats(std::int64_t planes) {
    std::vector<W> row(static_cast<std::size_t>(m_[0] * C_));
    stats_.output.merge(stored_stats(block_.data(), static_cast<std::size_t>(planes * m_[1]), row.size(),
                                     s_.base.out_datatype, row.data()));
  }

  GeneralSetup s_;
  GeneralMemory plan_;
  ResampleSetup coef_;
  std::optional<ScratchFile> temp_;         // the file path only
  RingPlan ring_plan_;                      // the ring path only
  std::unique_ptr<CoefficientRing> ring_;   // the ring path only
  ByteSink* out_ = nullptr;                 // during run_volume
  int g_ = 1, C_ = 1, out_voxel_ = 4;
  std::int64_t n_[3]{}, m_[3]{}, e_[3]{};
  std::int64_t row_ = 0, plane_ = 0;  // coefficient values per row, per plane
  std::uint64_t file_bytes_ = 0;
  std::size_t out_plane_bytes_ = 0;
  std::vector<unsigned char> block_;  // plan.block output planes
  oneapi::tbb::enumerable_thread_specific<std::vector<W>> rows_;
  PipelineStats stats_;
};

}  // namespace

ResampleSetup coefficient_setup(const GeneralSetup& s) {
  ResampleSetup c = s.base;
  c.coefficients = true;
  c.out_datatype = work_bytes(s.base) == 8 ? DT_FLOAT64 : DT_FLOAT32;
  c.fill = s.base.fill;
  return c;
}

namespace {

// The output side of phase 2 for `tile` and `block` (both paths).
void size_output(GeneralMemory& g, const GeneralSetup& s, int tile, int block, bool gzip_output,
                 std::uint64_t deflater_bytes) {
  const ResampleSetup& b = s.base;
  const std::uint64_t plane = static_cast<std::uint64_t>(b.grid.axis[0].m * b.grid.axis[1].m * b.channels) *
                              static_cast<std::uint64_t>(scalar_bytes(b.out_datatype));
  g.tile = tile;
  g.block = block;
  g.block_bytes = plane * static_cast<std::uint64_t>(block);
  g.chunk_capacity = gzip_output ? static_cast<std::size_t>((g.block_bytes + kChunkBytes - 1) / kChunkBytes + 1) : 0;
  g.chunk_bytes = g.chunk_capacity * chunk_buffer_bytes();
  g.codec_bytes = gzip_output ? static_cast<std::uint64_t>(g.threads) * deflater_bytes : 0;
  g.scratch_bytes = static_cast<std::uint64_t>(g.threads * tile * b.channels * 8) + (64u << 10);
}

// The shapes the planners try, most parallel first; with `smallest`, only
// the least memory: one plane per block and one pipeline token. (Tiles stay
// free: they change the mapped pages by a few MiB, and 8 x 8 tiles on huge
// planes cost one madvise per 64 voxels.)
struct Shapes {
  std::vector<int> tiles = {64, 32, 16, 8};
  std::vector<int> blocks = {16, 8, 4, 2, 1};
  bool smallest = false;
  explicit Shapes(bool least) : smallest(least) {
    if (least) blocks = {1};
  }
};

// Phase 1's plan (the separable pipeline writing coefficients) in `limit`.
MemoryPlan coefficient_plan(const GeneralSetup& s, int threads, std::uint64_t limit, const Shapes& shapes) {
  MemoryRequest req = memory_request(coefficient_setup(s), threads, limit);
  if (shapes.smallest) req.tokens = req.block = 1;
  return plan_memory(req);  // throws Error(memory_limit)
}

// The ring path's plan, or nothing when the ring does not fit `limit`
// within `cap` (the whole run, pipeline included).
std::optional<GeneralMemory> plan_ring_memory(GeneralMemory g, const GeneralSetup& s, std::uint64_t limit,
                                              std::uint64_t cap, std::uint64_t plane_bytes, bool gzip_output,
                                              std::uint64_t deflater_bytes, const Shapes& shapes) {
  for (int tile : shapes.tiles)
    for (int block : shapes.blocks) {
      size_output(g, s, tile, block, gzip_output, deflater_bytes);
      g.ring_planes = ring_for(s, block).planes;
      g.ring_bytes = static_cast<std::uint64_t>(g.ring_planes) * plane_bytes;
      g.mapped_bytes = 0;
      g.sink_bytes = 0;
      const std::uint64_t fixed = g.ring_bytes + g.block_bytes + g.chunk_bytes + g.codec_bytes + g.scratch_bytes;
      const std::uint64_t room = std::min(limit, cap + kProcessReserve);
      if (room != UINT64_MAX && room <= fixed + kProcessReserve) continue;
      try {
        g.coefficients = coefficient_plan(s, g.threads, room == UINT64_MAX ? room : room - fixed, shapes);
      } catch (const Error& e) {
        if (e.code() != ExitCode::memory_limit) throw;
        continue;
      }
      g.ring = true;
      return g;
    }
  return std::nullopt;
}

// The temporary file's plan. Throws Error(memory_limit) when nothing fits.
GeneralMemory plan_file_memory(GeneralMemory g, const GeneralSetup& s, std::uint64_t limit,
                               const std::uint64_t caps[2], bool gzip_output, std::uint64_t deflater_bytes,
                               const Shapes& shapes) {
  std::string phase1_error;  // the coefficient pass's, when it is what does not fit
  for (int c = 0; c < 2; ++c)
    for (int tile : shapes.tiles)
      for (int block : shapes.blocks) {
        size_output(g, s, tile, block, gzip_output, deflater_bytes);
        g.mapped_bytes = std::min(g.coefficient_file_bytes,
                                  static_cast<std::uint64_t>(g.threads) * tile_footprint(s, tile, block));
        if (g.phase2_total() > caps[c]) continue;
        // Phase 1 runs while the output's chunk pool and deflaters exist.
        const std::uint64_t sink = g.chunk_bytes + g.codec_bytes;
        if (limit != UINT64_MAX && limit <= sink) continue;
        try {
          g.coefficients = coefficient_plan(s, g.threads, limit == UINT64_MAX ? limit : limit - sink, shapes);
        } catch (const Error& e) {
          // A smaller output block leaves phase 1 more room: go on.
          if (e.code() != ExitCode::memory_limit) throw;
          phase1_error = e.what();
          continue;
        }
        g.sink_bytes = sink;
        return g;
      }
  if (!phase1_error.empty()) throw Error(ExitCode::memory_limit, phase1_error);
  throw Error(ExitCode::memory_limit,
              "--memory-limit " + format_bytes(limit) + " is too small for the general (affine) path: one plane of "
              "output alone needs " + format_bytes(g.block_bytes) + " plus " + format_bytes(kIoBytes + kProcessReserve) +
              "; try " + format_bytes(g.phase2_total() + kProcessReserve));
}

}  // namespace

GeneralMemory plan_general_memory(const GeneralSetup& s, int threads, std::uint64_t limit, bool gzip_output,
                                  std::uint64_t deflater_bytes, bool smallest) {
  GeneralMemory g;
  g.limit = limit;
  g.threads = threads;
  const ResampleSetup& b = s.base;
  const Order o = b.order;
  const std::uint64_t coef_plane = static_cast<std::uint64_t>(extended(b.grid.axis[0], o) *
                                                              extended(b.grid.axis[1], o) * b.channels) *
                                   static_cast<std::uint64_t>(work_bytes(b));
  const std::int64_t planes = extended(b.grid.axis[2], o);
  g.coefficient_file_bytes = coef_plane * static_cast<std::uint64_t>(planes);
  const std::uint64_t budget = limit > kProcessReserve ? std::min(limit - kProcessReserve, kWorkingSetTarget) : 0;
  const std::uint64_t floor_budget = limit > kProcessReserve ? limit - kProcessReserve : 0;
  const std::uint64_t caps[2] = {budget, floor_budget};
  const Shapes shapes(smallest);
  std::optional<GeneralMemory> ring;
  if (s.allow_ring)
    for (std::uint64_t cap : caps)
      if ((ring = plan_ring_memory(g, s, limit, cap, coef_plane, gzip_output, deflater_bytes, shapes))) {
        ring->source_why = "the " + std::to_string(ring->ring_planes) + " of " + std::to_string(planes) +
                           " coefficient planes the output reads at any one time (" +
                           format_bytes(ring->ring_bytes) + ") fit the memory limit";
        break;
      }
  // The ring is preferred when it fits; asked for the smallest working set,
  // the smaller of the two.
  if (ring && !smallest) return *ring;
  g.ring_planes = ring_for(s, 1).planes;
  g.ring_bytes = static_cast<std::uint64_t>(g.ring_planes) * coef_plane;
  g.source_why = !s.allow_ring ? "the ring is turned off"
                 : ring ? "a ring would need " + std::to_string(g.ring_planes) + " of the " + std::to_string(planes) +
                              " coefficient planes (" + format_bytes(g.ring_bytes) +
                              "), more memory than the temporary file"
                        : "a ring would need " + std::to_string(g.ring_planes) + " of the " + std::to_string(planes) +
                              " coefficient planes (" + format_bytes(g.ring_bytes) +
                              "), more than the memory limit allows";
  const GeneralMemory file = plan_file_memory(g, s, limit, caps, gzip_output, deflater_bytes, shapes);
  return ring && ring->total() <= file.total() ? *ring : file;
}

std::unique_ptr<Resampler> make_general_resampler(const GeneralSetup& s, const GeneralMemory& plan) {
  if (work_bytes(s.base) == 8) return std::make_unique<General<double>>(s, plan);
  return std::make_unique<General<float>>(s, plan);
}

}  // namespace respace
