// SPDX-License-Identifier: MIT
// Where a separable pass delivers its output planes as values rather than
// as the bytes of a file: the general path's coefficient pass hands its
// coefficient planes to the store its sampling stage reads (the ring,
// engine/coefficient_ring.hpp, or the temporary file,
// engine/coefficient_file.hpp).
//
// Thread safety: take_plane is called from one thread (the pipeline's serial
// write stage), in plane order.
#pragma once

#include <cstddef>
#include <cstdint>

namespace respace {

class PlaneSink {
public:
  virtual ~PlaneSink() = default;
  // Plane k of the pass (k = 0, 1, ... in order): `bytes` bytes of values.
  virtual void take_plane(std::int64_t k, const unsigned char* values, std::size_t bytes) = 0;
};

}  // namespace respace
