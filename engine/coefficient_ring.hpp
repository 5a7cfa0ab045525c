// SPDX-License-Identifier: MIT
// The general path's in-memory store of coefficient planes
// (engine/general_resampler.hpp), used instead of the temporary file
// (engine/coefficient_file.hpp) when the planes the output needs at any one
// time fit the memory limit.
//
// Output plane k samples the input at p = V (i, j, k) for the plane's i, j;
// p_z is affine in (i, j), so over the plane it lies between its values at
// the four corners. Clamped to the field of view [-0.5, n_z - 0.5] (outside
// it every sample is fill) and widened by the taps of the order, that is
// the window of extended coefficient planes [lo(k), hi(k)] the plane reads
// (none when the clamp is empty). Output planes are computed in blocks of
// `block`; block b reads the union of its planes' windows
// (engine/block_windows.hpp).
//
// The coefficient planes arrive in order, z = 0, 1, ..., from the separable
// pipeline. Block b can run once plane ready(b) - 1 = max over b' <= b of
// hi(b') has arrived (blocks are emitted in order), and from then on no
// block reads below keep(b) = min over b' >= b of lo(b'). So the ring must
// hold max over b of ready(b) - keep(b) planes: the window span plus the
// drift of one block when V moves forward through z (V_zz >= 0, the common
// case: a few planes per degree of tilt), up to the whole volume when it
// does not (a z flip; a 90-degree rotation that turns slices into columns).
// The planner (engine/general_plan.cpp) takes the ring when that many
// planes fit the limit, and the temporary file otherwise.
//
// The ring is the meeting point of the general path's two stages: the
// coefficient pass hands it planes (a PlaneSink), and as soon as the planes
// a block of output reads are all in, it hands that block to the sampling
// stage (`emit`).
//
// Thread safety: a CoefficientRing is fed by one thread (the pipeline's
// serial write stage); `emit` runs on that thread and may read planes from
// any thread until it returns.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "engine/geometry.hpp"
#include "engine/block_windows.hpp"
#include "engine/kernel.hpp"
#include "engine/plane_sink.hpp"

namespace respace {

struct RingPlan {
  std::int64_t planes = 0;              // ring capacity, in coefficient planes
  std::vector<PlaneRange> need;         // per output block: extended planes it reads
  std::vector<std::int64_t> ready;      // per block: planes that must have arrived
  std::vector<std::int64_t> keep;       // per block: the lowest plane it or a later block reads
};

// The z taps (crop indices, before margins or the boundary rule) that
// output plane k's footprint reaches: p_z at the plane's four corners,
// clamped to the field of view [-0.5, nz - 0.5], widened by the kernel's
// taps; none when the whole plane is fill. `w`: scratch for the weights.
PlaneRange plane_taps_z(const Mat4& voxel_map, const std::int64_t m[3], std::int64_t k, std::int64_t nz,
                        const Kernel& kernel, std::vector<double>& w);

// n: input (crop) dims; m: output dims; the kernel's support and margin
// give the taps; planes beyond [0, n_z + 2 margin) are never read.
RingPlan plan_ring(const Mat4& voxel_map, const std::int64_t n[3], const std::int64_t m[3], const Kernel& kernel,
                   int block);

// Takes the coefficient volume's extended planes (plane_bytes each) and, as
// soon as a block's planes are all in, calls emit(b). finish() emits the
// blocks that remain.
class CoefficientRing final : public PlaneSink {
public:
  CoefficientRing(std::size_t plane_bytes, const RingPlan& plan, std::function<void(std::int64_t)> emit);
  // Start of a new 3-D volume: no planes, block 0 next.
  void reset();

  void take_plane(std::int64_t k, const unsigned char* values, std::size_t bytes) override;
  void finish();

  // Extended plane z; it must lie in the window of the block being emitted.
  const unsigned char* plane(std::int64_t z) const {
    return mem_.get() + static_cast<std::size_t>(z % plan_.planes) * plane_bytes_;
  }
  // Whether planes [lo, hi] are all held now (checked after each tile).
  bool holds(std::int64_t lo, std::int64_t hi) const;

private:
  void plane_arrived();

  std::size_t plane_bytes_;
  const RingPlan& plan_;
  std::function<void(std::int64_t)> emit_;
  std::unique_ptr<unsigned char[]> mem_;  // plan.planes x plane_bytes, touched as filled
  std::int64_t have_ = 0;                 // planes arrived
  std::int64_t next_ = 0;                 // next block to emit
};

}  // namespace respace
