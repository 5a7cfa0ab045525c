// SPDX-License-Identifier: MIT
#include "engine/general_plan.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "io/byte_sink.hpp"
#include "io/byte_size.hpp"
#include "io/error.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kFaultAround = 64 << 10;  // Linux's default fault_around_bytes

std::int64_t extended(const AxisMap& a, const Kernel& k) { return a.n + 2 * k.margin(); }

// Pages one tile of T x T x `depth` output voxels can touch in the mapped
// coefficient file: the input box its corners span plus the taps.
std::uint64_t tile_footprint(const GeneralSetup& s, int tile, int depth) {
  const Mat4& v = s.voxel_map;
  const int taps = s.base.kernel->support(1.0) + 1;
  double e[3];
  for (int r = 0; r < 3; ++r)
    e[r] = (std::fabs(v[r][0]) + std::fabs(v[r][1])) * (tile - 1) + std::fabs(v[r][2]) * (depth - 1) + taps;
  const Kernel& o = *s.base.kernel;
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

}  // namespace

RingPlan ring_for(const GeneralSetup& s, int block) {
  std::int64_t n[3], m[3];
  for (std::size_t k = 0; k < 3; ++k) {
    n[k] = s.base.grid.axis[k].n;
    m[k] = s.base.grid.axis[k].m;
  }
  return plan_ring(s.voxel_map, n, m, *s.base.kernel, block);
}

ResampleSetup coefficient_setup(const GeneralSetup& s) {
  ResampleSetup c = s.base;
  c.coefficients = true;
  c.out_datatype = work_bytes(s.base) == 8 ? DT_FLOAT64 : DT_FLOAT32;
  c.fill = s.base.fill;
  return c;
}

namespace {

// The ring's planes for blocks of `block`: size_rings()'s, else found now.
std::int64_t ring_planes_of(const GeneralSetup& s, int block) {
  const auto found = s.ring_planes.find(block);
  return found != s.ring_planes.end() ? found->second : ring_for(s, block).planes;
}

// The output side of the sampling stage for `tile` and `block` (both paths).
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

}  // namespace

void size_rings(GeneralSetup& s) {
  for (int block : Shapes(false).blocks) s.ring_planes[block] = ring_for(s, block).planes;
}

namespace {

// Phase 1's plan (the separable pipeline writing coefficients) in `limit`.
MemoryPlan coefficient_plan(const GeneralSetup& s, const SeparableTables& coef, int threads, std::uint64_t limit,
                            const Shapes& shapes) {
  MemoryRequest req = memory_request(coefficient_setup(s), coef, threads, limit);
  if (shapes.smallest) req.tokens = req.block = 1;
  return plan_memory(req);  // throws Error(memory_limit)
}

// The ring path's plan, or nothing when the ring does not fit `limit`
// within `cap` (the whole run, pipeline included).
std::optional<GeneralMemory> plan_ring_memory(GeneralMemory g, const GeneralSetup& s, const SeparableTables& coef,
                                              std::uint64_t limit,
                                              std::uint64_t cap, std::uint64_t plane_bytes, bool gzip_output,
                                              std::uint64_t deflater_bytes, const Shapes& shapes) {
  for (int tile : shapes.tiles)
    for (int block : shapes.blocks) {
      size_output(g, s, tile, block, gzip_output, deflater_bytes);
      g.ring_planes = ring_planes_of(s, block);
      g.ring_bytes = static_cast<std::uint64_t>(g.ring_planes) * plane_bytes;
      g.mapped_bytes = 0;
      g.sink_bytes = 0;
      const std::uint64_t fixed = g.ring_bytes + g.block_bytes + g.chunk_bytes + g.codec_bytes + g.scratch_bytes;
      const std::uint64_t room = std::min(limit, cap + kProcessReserve);
      if (room != UINT64_MAX && room <= fixed + kProcessReserve) continue;
      try {
        g.coefficients = coefficient_plan(s, coef, g.threads, room == UINT64_MAX ? room : room - fixed, shapes);
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
GeneralMemory plan_file_memory(GeneralMemory g, const GeneralSetup& s, const SeparableTables& coef,
                               std::uint64_t limit,
                               const std::uint64_t caps[2], bool gzip_output, std::uint64_t deflater_bytes,
                               const Shapes& shapes) {
  std::string pass_error;  // the coefficient pass's, when it is what does not fit
  for (int c = 0; c < 2; ++c)
    for (int tile : shapes.tiles)
      for (int block : shapes.blocks) {
        size_output(g, s, tile, block, gzip_output, deflater_bytes);
        g.mapped_bytes = std::min(g.coefficient_file_bytes,
                                  static_cast<std::uint64_t>(g.threads) * tile_footprint(s, tile, block));
        if (g.sampling_total() > caps[c]) continue;
        // Phase 1 runs while the output's chunk pool and deflaters exist.
        const std::uint64_t sink = g.chunk_bytes + g.codec_bytes;
        if (limit != UINT64_MAX && limit <= sink) continue;
        try {
          g.coefficients = coefficient_plan(s, coef, g.threads, limit == UINT64_MAX ? limit : limit - sink, shapes);
        } catch (const Error& e) {
          // A smaller output block leaves the coefficient pass more room: go on.
          if (e.code() != ExitCode::memory_limit) throw;
          pass_error = e.what();
          continue;
        }
        g.sink_bytes = sink;
        return g;
      }
  if (!pass_error.empty()) throw Error(ExitCode::memory_limit, pass_error);
  throw Error(ExitCode::memory_limit,
              "--memory-limit " + format_bytes(limit) + " is too small for the general (affine) path: one plane of "
              "output alone needs " + format_bytes(g.block_bytes) + " plus " + format_bytes(kIoBytes + kProcessReserve) +
              "; try " + format_bytes(g.sampling_total() + kProcessReserve));
}

}  // namespace

GeneralMemory plan_general_memory(const GeneralSetup& s, const SeparableTables& coef, int threads,
                                  std::uint64_t limit, bool gzip_output, std::uint64_t deflater_bytes,
                                  bool smallest) {
  GeneralMemory g;
  g.limit = limit;
  g.threads = threads;
  const ResampleSetup& b = s.base;
  const Kernel& o = *b.kernel;
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
      if ((ring = plan_ring_memory(g, s, coef, limit, cap, coef_plane, gzip_output, deflater_bytes, shapes))) {
        ring->source_why = "the " + std::to_string(ring->ring_planes) + " of " + std::to_string(planes) +
                           " coefficient planes the output reads at any one time (" +
                           format_bytes(ring->ring_bytes) + ") fit the memory limit";
        break;
      }
  // The ring is preferred when it fits; asked for the smallest working set,
  // the smaller of the two.
  if (ring && !smallest) return *ring;
  g.ring_planes = ring_planes_of(s, 1);
  g.ring_bytes = static_cast<std::uint64_t>(g.ring_planes) * coef_plane;
  g.source_why = !s.allow_ring ? "the ring is turned off"
                 : ring ? "a ring would need " + std::to_string(g.ring_planes) + " of the " + std::to_string(planes) +
                              " coefficient planes (" + format_bytes(g.ring_bytes) +
                              "), more memory than the temporary file"
                        : "a ring would need " + std::to_string(g.ring_planes) + " of the " + std::to_string(planes) +
                              " coefficient planes (" + format_bytes(g.ring_bytes) +
                              "), more than the memory limit allows";
  const GeneralMemory file = plan_file_memory(g, s, coef, limit, caps, gzip_output, deflater_bytes, shapes);
  return ring && ring->total() <= file.total() ? *ring : file;
}

}  // namespace respace
