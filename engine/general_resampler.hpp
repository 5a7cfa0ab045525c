// SPDX-License-Identifier: MIT
// The general path: output index j samples the input at p = V j for any
// affine voxel map V (engine/target.hpp), in bounded memory.
//
// Phase 1 streams the input once through the separable pipeline
// (engine/pipeline.hpp) with coefficient tables (engine/axis_table.hpp): the
// interpolation coefficients, extended by the boundary rule to
// [-g, n+g) on each axis (the samples for orders 0-1, the prefiltered
// B-spline coefficients for orders 2-3, with the separable path's halo
// rule), as planes of W values in z order.
//
// Phase 2 computes the output in blocks of output planes, each cut into
// tiles of T x T voxels that run in parallel; a tile spans the block's
// planes (fewer when a block has too few tiles for the threads), so the
// input it reads serves all of them. A sample outside
// the field of view [-0.5, n-0.5] on any axis is --fill; inside, it is the
// tensor-product B-spline of `order` over (order+1)^3 coefficients, taps of
// weight zero dropped, added in a fixed order (z, y, x), so the bytes do not
// depend on threads, tiles or where the coefficients came from.
//
// Where phase 2 reads the coefficients from, chosen by the planner:
//   - the ring (engine/coefficient_ring.hpp), when the planes the blocks of
//     output read at any one time fit the memory limit (a rotation of a few
//     degrees: tens of planes). Phase 1 feeds the ring and each block runs
//     as soon as its planes are in: both phases at once, one pass, no disk.
//   - otherwise a temporary file beside the output (a 90-degree rotation
//     that turns slices into columns needs every plane for every output
//     plane). Phase 1 writes the whole coefficient volume into it; the file
//     is unlinked as soon as it is open, so it disappears with the process
//     whatever happens. Phase 2 maps it read-only and after each tile its
//     worker drops the pages it touched (madvise DONTNEED; they stay in the
//     page cache), so resident memory is at most threads x the pages one
//     tile reads, whatever the transform.
//
// Thread safety: a GeneralResampler runs one volume at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/memory_plan.hpp"
#include "engine/resampler.hpp"
#include "engine/target.hpp"

namespace respace {

struct GeneralSetup {
  ResampleSetup base;         // grid (output dims; crop axes), order, boundary, fill, types
  Mat4 voxel_map = identity4();
  std::string temp_dir = ".";  // where the coefficient file goes
  bool allow_ring = true;      // false: always the temporary file (tests)
};

struct GeneralMemory {
  bool ring = false;        // phase 2 reads the ring, not the temporary file
  std::string source_why;   // why, for the report
  MemoryPlan coefficients;  // phase 1 (the separable pipeline)
  int threads = 1;
  int block = 1;            // output planes per block (phase 2)
  int tile = 64;            // tile edge, output voxels
  std::size_t chunk_capacity = 0;
  std::uint64_t block_bytes = 0, chunk_bytes = 0, codec_bytes = 0, mapped_bytes = 0, scratch_bytes = 0;
  std::uint64_t coefficient_file_bytes = 0;  // per 3-D volume
  std::int64_t ring_planes = 0;              // coefficient planes the ring holds (ring, or what it would need)
  std::uint64_t ring_bytes = 0;
  std::uint64_t limit = 0;
  std::uint64_t phase2_total() const {
    return block_bytes + chunk_bytes + codec_bytes + mapped_bytes + scratch_bytes + kIoBytes;
  }
  std::uint64_t sink_bytes = 0;  // the output's chunks and deflaters, alive in both phases
  // The ring path runs both phases at once: the pipeline, the ring and the
  // output side; the file path one phase after the other.
  std::uint64_t total() const {
    if (ring) return coefficients.total() + ring_bytes + block_bytes + chunk_bytes + codec_bytes + scratch_bytes;
    return std::max(coefficients.total() + sink_bytes, phase2_total());
  }
};

// The setup of phase 1 (coefficients of the crop, written as W).
ResampleSetup coefficient_setup(const GeneralSetup& s);

// Throws Error(memory_limit) naming the smallest limit that works. With
// `smallest` (the default limit raised to fit: cli/job.cpp), the least
// memory: one plane per block, one pipeline token, and the ring or
// the temporary file, whichever needs less.
GeneralMemory plan_general_memory(const GeneralSetup& s, int threads, std::uint64_t limit, bool gzip_output,
                                  std::uint64_t deflater_bytes, bool smallest = false);

std::unique_ptr<Resampler> make_general_resampler(const GeneralSetup& s, const GeneralMemory& plan);

}  // namespace respace
