// SPDX-License-Identifier: MIT
// The general path: output index j samples the input at p = V j for any
// affine voxel map V (engine/target.hpp), in bounded memory.
//
// Phase 1 streams the input once through the separable pipeline
// (engine/pipeline.hpp) with coefficient tables (engine/axis_table.hpp): the
// interpolation coefficients, extended by the boundary rule to
// [-g, n+g) on each axis (the samples for orders 0-1, the prefiltered
// B-spline coefficients for orders 2-3, with the separable path's halo
// rule), are written as raw W values into a temporary file beside the
// output. The file is unlinked as soon as it is open, so it disappears
// with the process whatever happens.
//
// Phase 2 maps the file read-only and computes the output in blocks of
// output planes, each cut into tiles of T x T voxels of one plane that run in
// parallel. A sample outside the field of view [-0.5, n-0.5] on any axis is
// --fill; inside, it is the tensor-product B-spline of `order` over
// (order+1)^3 coefficients, taps of weight zero dropped, added in a fixed
// order (z, y, x), so the bytes do not depend on threads or tiles. After
// each tile its worker drops the pages it touched (madvise DONTNEED; they
// stay in the page cache), so resident memory is at most threads x the
// pages one tile reads, whatever the transform: a 90-degree rotation that
// turns slices into columns runs in the same memory as a small oblique one.
//
// Thread safety: a GeneralResampler runs one volume at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/memory_plan.hpp"
#include "engine/pipeline.hpp"
#include "engine/target.hpp"

namespace respace {

struct GeneralSetup {
  ResampleSetup base;         // grid (output dims; crop axes), order, boundary, fill, types
  Mat4 voxel_map = identity4();
  std::string temp_dir = ".";  // where the coefficient file goes
};

struct GeneralMemory {
  MemoryPlan coefficients;  // phase 1 (the separable pipeline)
  int threads = 1;
  int block = 1;            // output planes per block (phase 2)
  int tile = 64;            // tile edge, output voxels
  std::size_t chunk_capacity = 0;
  std::uint64_t block_bytes = 0, chunk_bytes = 0, codec_bytes = 0, mapped_bytes = 0, scratch_bytes = 0;
  std::uint64_t coefficient_file_bytes = 0;  // per 3-D volume
  std::uint64_t limit = 0;
  std::uint64_t phase2_total() const {
    return block_bytes + chunk_bytes + codec_bytes + mapped_bytes + scratch_bytes + kIoBytes;
  }
  std::uint64_t sink_bytes = 0;  // the output's chunks and deflaters, alive in both phases
  std::uint64_t total() const { return std::max(coefficients.total() + sink_bytes, phase2_total()); }
};

// The setup of phase 1 (coefficients of the crop, written as W).
ResampleSetup coefficient_setup(const GeneralSetup& s);

// Throws Error(memory_limit) naming the smallest limit that works.
GeneralMemory plan_general_memory(const GeneralSetup& s, int threads, std::uint64_t limit, bool gzip_output,
                                  std::uint64_t deflater_bytes);

std::unique_ptr<Resampler> make_general_resampler(const GeneralSetup& s, const GeneralMemory& plan);

}  // namespace respace
