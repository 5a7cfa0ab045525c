// SPDX-License-Identifier: MIT
// The memory planner: every buffer of a run is derived from --memory-limit
// before any voxel is read (SPEC §6).
//
// The pipeline (engine/pipeline.hpp) holds, at most:
//   raw input planes     tokens * new_max                 x plane_in bytes
//   intermediate planes  tokens * new_max + span_max      x mx*my*sizeof(W)
//   output blocks        tokens                           x block*mx*my*out bytes
//   per-thread scratch   threads x (nx*ny + max(nx*my, mx*ny) + mx
//                        + [x tables of 3 taps or more] (nx + mx) * max(ny, my)) * sizeof(W)
//   gzip chunks          tokens * (ceil(block*mx*my*out / kChunkBytes) + 1) + 1
//                        x chunk_buffer_bytes() (a block completes at most that
//                        many chunks; one more is being filled), plus one
//                        deflater per thread
//   io buffers           kIoBytes (gzip read buffer and window, write buffer)
// where new_max is the most input planes one output block of `block` planes
// reads that earlier blocks have not, and span_max the most input planes one
// block reads in all. The intermediate bound: the ring and the tokens linked
// so far cover at most span_max planes below the read position, and the
// tokens not yet linked at most tokens * new_max above it.
//
// The planner tries the most parallel shape first (tokens = 2 x threads,
// then threads + 1, threads, 2, 1; then fewer threads) and, for each, the
// deepest block (64 planes down to 1) whose total fits the working-set
// target: min(limit - kProcessReserve, kWorkingSetTarget). Sizing blocks to a
// fixed target rather than a fixed depth keeps peak memory flat whatever the
// plane size: 512^3 and 1024^3 volumes run in the same memory
// (bench/README.md). When planes are so large that one-plane blocks with the
// most tokens pass the target, fewer tokens within the target come first
// (a whole-brain float32 volume: 3 tokens, not 4). Only a volume whose
// single planes exceed the target needs more, down to the smallest shape
// the limit allows.
//
// Thread safety: pure function.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/block_windows.hpp"
#include "engine/separable_tables.hpp"

namespace respace {

struct MemoryRequest {
  std::int64_t nx = 1, ny = 1, mx = 1, my = 1;
  std::vector<PlaneRange> z;  // one per output plane
  int in_bytes = 4;           // bytes per stored input voxel
  int out_bytes = 4;          // bytes per stored output voxel
  int work_bytes = 4;         // sizeof(W)
  std::uint64_t table_bytes = 0;
  bool gzip_output = false;         // chunks and deflaters (io/byte_sink.hpp)
  std::uint64_t deflater_bytes = 0; // per thread
  bool wide_x = false;        // the x pass runs transposed (engine/plane_resampler.hpp)
  int threads = 1;
  std::uint64_t limit = 0;
  std::optional<int> block;   // force the block depth (tests, benchmarks)
  std::optional<int> tokens;  // force the token count (tests, benchmarks)
  // block_shape() by depth, shared by every request made from the same
  // tables (SeparableTables::block_shapes): the limit search plans dozens of
  // times, and each measure is a walk over every output plane.
  std::shared_ptr<BlockShapeCache> shapes;
};

struct MemoryPlan {
  std::uint64_t limit = 0;
  int threads = 1;
  int tokens = 1;
  int block = 1;
  BlockShape shape;
  std::size_t raw_capacity = 0, mid_capacity = 0, out_capacity = 0, chunk_capacity = 0;
  std::uint64_t raw_bytes = 0, mid_bytes = 0, out_bytes = 0, scratch_bytes = 0, io_bytes = 0,
                table_bytes = 0, codec_bytes = 0;
  std::uint64_t total() const {
    return raw_bytes + mid_bytes + out_bytes + scratch_bytes + io_bytes + table_bytes + codec_bytes;
  }
};

// Resident memory outside the planned buffers: code, libraries, thread
// stacks, heap metadata. Measured: `respace --memory-limit 1G` on a 4^3
// volume peaks at about 9 MiB of RSS; 24 MiB leaves room for page tables
// and allocator slack.
constexpr std::uint64_t kProcessReserve = std::uint64_t{24} << 20;
// The read-ahead queue (4 x 2 MiB, io/read_ahead.hpp), the inflate state
// and its 1 MiB read buffer, the 1 MiB write buffer, rounded up.
constexpr std::uint64_t kIoBytes = std::uint64_t{12} << 20;
// What the planner aims to use when the limit allows: deeper blocks than
// this buy no speed on the benchmarks (bench/throughput.sh), and it keeps
// the default run under the default 256M limit.
constexpr std::uint64_t kWorkingSetTarget = std::uint64_t{176} << 20;

// What plan_memory() needs to know of a separable pass with these tables.
MemoryRequest memory_request(const ResampleSetup& setup, const SeparableTables& tables, int threads,
                             std::uint64_t limit);

// Throws Error(memory_limit) naming the limit and the smallest that works.
MemoryPlan plan_memory(const MemoryRequest& req);

}  // namespace respace
