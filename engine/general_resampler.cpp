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
#include <vector>

#include "engine/bspline.hpp"
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

// Pages one tile of T x T output voxels (one plane) can touch in the mapped
// coefficient file: the input box its corners span plus the taps.
std::uint64_t tile_footprint(const GeneralSetup& s, int tile) {
  const Mat4& v = s.voxel_map;
  const int taps = static_cast<int>(s.base.order) + 2;
  double e[3];
  for (int r = 0; r < 3; ++r) e[r] = (std::fabs(v[r][0]) + std::fabs(v[r][1])) * (tile - 1) + taps;
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

template <class W>
class General final : public Resampler {
public:
  General(const GeneralSetup& s, const GeneralMemory& plan)
      : s_(s), plan_(plan), coef_(coefficient_setup(s)), temp_(s.temp_dir, "coefficients") {
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
    stats_.temp_file = temp_.path();
    stats_.temp_file_bytes = file_bytes_;
  }

  void run_volume(ByteSource& in, ByteSink& out, const PipelineHooks& /*hooks*/) override {
    write_coefficients(in);
    const Mapping map(temp_.fd(), static_cast<std::size_t>(file_bytes_), temp_.path());
    block_.resize(out_plane_bytes_ * static_cast<std::size_t>(plan_.block));  // freed below: not during phase 1
    const W* coef = static_cast<const W*>(map.base);
    const int T = plan_.tile;
    const std::int64_t tx = (m_[0] + T - 1) / T, ty = (m_[1] + T - 1) / T;
    for (std::int64_t k0 = 0; k0 < m_[2]; k0 += plan_.block) {
      const std::int64_t k1 = std::min(m_[2], k0 + plan_.block);
      const std::int64_t tiles = (k1 - k0) * ty * tx;
      oneapi::tbb::parallel_for(std::int64_t{0}, tiles, [&](std::int64_t t) {
        const std::int64_t k = k0 + t / (ty * tx), r = t % (ty * tx);
        const std::int64_t y0 = (r / tx) * T, x0 = (r % tx) * T;
        sample_tile(coef, map, k, k0, y0, std::min(m_[1], y0 + T), x0, std::min(m_[0], x0 + T));
      });
      const std::size_t bytes = out_plane_bytes_ * static_cast<std::size_t>(k1 - k0);
      if (s_.base.compare) merge_output_stats(k1 - k0);
      if (out.encodes()) {
        std::vector<ChunkPtr> chunks;
        out.cut(block_.data(), bytes, chunks);
        oneapi::tbb::parallel_for(std::size_t{0}, chunks.size(), [&](std::size_t i) { out.encode(*chunks[i]); });
        for (const ChunkPtr& c : chunks) out.write_chunk(*c);
      } else {
        out.write(block_.data(), bytes);
      }
    }
    std::vector<unsigned char>().swap(block_);
    struct stat st;
    stats_.temp_file_removed = ::stat(temp_.path().c_str(), &st) != 0;
  }

  PipelineStats stats() const override { return stats_; }

private:
  // Phase 1: the coefficient volume of this 3-D volume into the temp file.
  void write_coefficients(ByteSource& in) {
    if (::ftruncate(temp_.fd(), 0) != 0 || ::lseek(temp_.fd(), 0, SEEK_SET) != 0)
      throw Error(ExitCode::bad_output, temp_.path() + ": cannot reset the coefficient file: " + std::strerror(errno));
    std::unique_ptr<Resampler> pipeline = make_resampler(coef_, plan_.coefficients);
    SinkOptions small_writes;
    small_writes.max_write = kFileWrite;
    std::unique_ptr<ByteSink> sink = make_byte_sink(temp_.fd(), temp_.path(), small_writes);
    pipeline->run_volume(in, *sink);
    sink->finish();
    const PipelineStats st = pipeline->stats();
    stats_.input.merge(st.input);
    stats_.planes_read += st.planes_read;
  }

  // Output voxels [x0, x1) x [y0, y1) of plane k.
  void sample_tile(const W* coef, const Mapping& map, std::int64_t k, std::int64_t k0, std::int64_t y0,
                   std::int64_t y1, std::int64_t x0, std::int64_t x1) {
    const Mat4& v = s_.voxel_map;
    const int ord = static_cast<int>(s_.base.order);
    const W fill = static_cast<W>(s_.base.fill);
    std::vector<W>& row = rows_.local();
    row.resize(static_cast<std::size_t>((x1 - x0) * C_));
    double zlo = 1e300, zhi = -1e300;
    for (std::int64_t j = y0; j < y1; ++j) {
      for (std::int64_t i = x0; i < x1; ++i) {
        W* dst = row.data() + (i - x0) * C_;
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
        for (int a = 0; a < 3; ++a) first[a] = spline_weights(ord, p[a], w[a]) + g_;
        zlo = std::min(zlo, static_cast<double>(first[2]));
        zhi = std::max(zhi, static_cast<double>(first[2] + ord));
        for (int c = 0; c < C_; ++c) {
          W sum = 0;
          for (int tz = 0; tz <= ord; ++tz) {
            if (w[2][tz] == 0.0) continue;
            const W* pz = coef + (first[2] + tz) * plane_;
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
      unsigned char* out = block_.data() + static_cast<std::size_t>(k - k0) * out_plane_bytes_ +
                           static_cast<std::size_t>((j * m_[0] + x0)) * static_cast<std::size_t>(out_voxel_);
      visit_datatype(s_.base.out_datatype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        encode<T, W>(row.data(), out, row.size());
      });
    }
    if (zhi >= zlo)
      map.release(static_cast<std::uint64_t>(zlo) * static_cast<std::uint64_t>(plane_) * sizeof(W),
                  static_cast<std::uint64_t>(zhi + 1) * static_cast<std::uint64_t>(plane_) * sizeof(W));
  }

  void merge_output_stats(std::int64_t planes) {
    std::vector<W> row(static_cast<std::size_t>(m_[0] * C_));
    stats_.output.merge(stored_stats(block_.data(), static_cast<std::size_t>(planes * m_[1]), row.size(),
                                     s_.base.out_datatype, row.data()));
  }

  GeneralSetup s_;
  GeneralMemory plan_;
  ResampleSetup coef_;
  ScratchFile temp_;
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

GeneralMemory plan_general_memory(const GeneralSetup& s, int threads, std::uint64_t limit, bool gzip_output,
                                  std::uint64_t deflater_bytes) {
  GeneralMemory g;
  g.limit = limit;
  g.threads = threads;
  const ResampleSetup& b = s.base;
  const Order o = b.order;
  g.coefficient_file_bytes = static_cast<std::uint64_t>(extended(b.grid.axis[0], o) * extended(b.grid.axis[1], o) *
                                                        extended(b.grid.axis[2], o) * b.channels) *
                             static_cast<std::uint64_t>(work_bytes(b));
  const std::uint64_t plane = static_cast<std::uint64_t>(b.grid.axis[0].m * b.grid.axis[1].m * b.channels) *
                              static_cast<std::uint64_t>(scalar_bytes(b.out_datatype));
  const std::uint64_t budget = limit > kProcessReserve ? std::min(limit - kProcessReserve, kWorkingSetTarget) : 0;
  const std::uint64_t floor_budget = limit > kProcessReserve ? limit - kProcessReserve : 0;
  for (std::uint64_t cap : {budget, floor_budget})
    for (int tile : {64, 32, 16, 8})
      for (int block = 16; block >= 1; block /= 2) {
        g.tile = tile;
        g.block = block;
        g.block_bytes = plane * static_cast<std::uint64_t>(block);
        g.chunk_capacity = gzip_output ? static_cast<std::size_t>((g.block_bytes + kChunkBytes - 1) / kChunkBytes + 1) : 0;
        g.chunk_bytes = g.chunk_capacity * chunk_buffer_bytes();
        g.codec_bytes = gzip_output ? static_cast<std::uint64_t>(threads) * deflater_bytes : 0;
        g.mapped_bytes = std::min(g.coefficient_file_bytes,
                                  static_cast<std::uint64_t>(threads) * tile_footprint(s, tile));
        g.scratch_bytes = static_cast<std::uint64_t>(threads * tile * b.channels * 8) + (64u << 10);
        if (g.phase2_total() > cap) continue;
        // Phase 1 runs while the output's chunk pool and deflaters exist.
        const std::uint64_t sink = g.chunk_bytes + g.codec_bytes;
        if (limit != UINT64_MAX && limit <= sink) continue;
        MemoryRequest req = memory_request(coefficient_setup(s), threads, limit == UINT64_MAX ? limit : limit - sink);
        g.coefficients = plan_memory(req);  // throws Error(memory_limit) itself
        g.sink_bytes = sink;
        return g;
      }
  throw Error(ExitCode::memory_limit,
              "--memory-limit " + format_bytes(limit) + " is too small for the general (affine) path: one plane of "
              "output alone needs " + format_bytes(plane) + " plus " + format_bytes(kIoBytes + kProcessReserve) +
              "; try " + format_bytes(g.phase2_total() + kProcessReserve));
}

std::unique_ptr<Resampler> make_general_resampler(const GeneralSetup& s, const GeneralMemory& plan) {
  if (work_bytes(s.base) == 8) return std::make_unique<General<double>>(s, plan);
  return std::make_unique<General<float>>(s, plan);
}

}  // namespace respace
