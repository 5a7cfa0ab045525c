// SPDX-License-Identifier: MIT
// The one planner: a ResampleRequest (what to resample to, with which
// kernel, in how much memory, on how many threads) in, a ResamplePlan out,
// before any voxel is read. The command line asks and prints; every engine
// decision is made here:
//
//   path     separable (one axis map per axis: engine/pipeline.hpp) or
//            general (any affine voxel map: engine/general_resampler.hpp),
//            as the target planner found (engine/target.hpp); labels (a
//            label map's vote, separable grids: engine/label_vote.hpp);
//   filters  the antialiasing filter of each axis (engine/antialias.hpp);
//   tables   the weight tables, built once from the kernel and the filters
//            (engine/kernel.hpp, engine/axis_table.hpp);
//   shape    threads, tokens, block depth, tiles, the general path's store
//            (engine/memory_plan.hpp, engine/general_plan.hpp), within the
//            limit under the rules of engine/memory_limit.hpp;
//   memory   one account of named buffers that the text report, --dry-run
//            and --json print as they are, whatever the path.
//
// make_resampler(plan) builds what runs it.
//
// Thread safety: pure functions (machine_memory() reads /proc and /sys).
#pragma once

#include <array>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/general_plan.hpp"
#include "engine/label_vote.hpp"
#include "engine/memory_plan.hpp"
#include "engine/resampler.hpp"
#include "engine/separable_tables.hpp"

namespace respace {

// One buffer of the account: `count` of something (planes, blocks, chunks;
// 0 when it is not counted in units) taking `bytes`.
struct MemoryItem {
  std::string name;  // e.g. "input planes"
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
};

struct ResampleRequest {
  ResampleSetup setup;           // grid, kernel, boundary, fill, types (setup.filter is the planner's)
  Antialias antialias = Antialias::automatic;  // --antialias (engine/antialias.hpp)
  bool separable = true;         // TargetPlan::separable
  Mat4 voxel_map = identity4();  // output index -> input (crop) index; the general path's
  int threads = 0;               // 0: every core
  std::uint64_t memory_limit = 0;  // --memory-limit; 0: the default (kDefaultMemoryLimit, may grow)
  bool gzip_output = false;
  std::uint64_t deflater_bytes = 0;  // per thread (io/gzip_codec.hpp deflater_bytes)
  std::optional<int> block;          // force the block depth (tests, benchmarks)
  std::string temp_dir = ".";        // where the general path's temporary file may go
  bool allow_ring = true;            // false: the general path always uses the file (tests)
  // Buffers the job holds besides the engine's (--qc's slices): planned
  // within the limit less these, and listed in the account.
  std::vector<MemoryItem> held;
  // Output planes [first, second) only (respace --part): the separable
  // path computes just those, reading just the input planes they need
  // (ResamplePlan::input_window); the other paths compute every plane.
  std::optional<std::array<std::int64_t, 2>> z_window;
};

// The stored input planes a windowed plan reads: [first, first + planes).
struct InputWindow {
  std::int64_t first = 0, planes = 0;
};

enum class ResamplePath { separable, general, labels };
const char* to_string(ResamplePath p);

// A setting of the plan's shape, e.g. {"tokens", 4}.
struct ShapeItem {
  std::string name;
  std::int64_t value = 0;
};

struct MemoryAccount {
  std::uint64_t limit = 0;
  bool raised = false;  // the default limit grew to the smallest working set
  std::vector<ShapeItem> shape;  // threads first
  std::vector<MemoryItem> items; // the process reserve last
  // The most the run holds at once (the two stages of the general path's
  // file store never run together: items of the larger stage).
  std::uint64_t planned = 0;
};

struct ResamplePlan {
  ResamplePath path = ResamplePath::separable;
  ResampleSetup setup;
  std::shared_ptr<const SeparableTables> tables;  // separable: the pass's; general: the coefficient pass's
  MemoryPlan pass;            // the separable pipeline (general: the coefficient pass)
  GeneralSetup general;       // general path only
  GeneralMemory general_memory;
  VoteMemory vote;            // labels path only
  MemoryAccount memory;
  std::string how;            // one line on how the path runs (the general path's store and why)
  int threads = 1;                // the planned thread count (oneTBB global_control)
  std::size_t output_chunks = 0;  // the output gzip sink.s chunk pool capacity (io/byte_sink.hpp)
  // With ResampleRequest::z_window on the separable path: the output planes
  // the engine writes are the window's, and it reads these input planes
  // (the source opened at the first). Unset: every plane, from the first.
  std::optional<InputWindow> input_window;
};

// Throws Error(usage) for what no path runs (--antialias box on the general
// path; --labels with a prefiltered kernel, ...), Error(memory_limit) when
// nothing fits (with the limit that would).
ResamplePlan plan_resample(const ResampleRequest& request);

std::unique_ptr<Resampler> make_resampler(const ResamplePlan& plan);

}  // namespace respace
