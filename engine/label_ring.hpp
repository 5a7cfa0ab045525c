// SPDX-License-Identifier: MIT
// What the two label votes (engine/label_vote.hpp, engine/general_vote.hpp)
// share: a ring of raw label planes that arrive in order, each counted as it
// is read, and the loop that reads planes until a block of output planes
// can be voted, votes it, counts it and writes it (block_windows()'s
// `ready`), then reads the planes no output reads, counted all the same.
//
// Thread safety: one volume at a time; the vote may read any held plane from
// any thread while it runs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "engine/label_counts.hpp"
#include "engine/sample_codec.hpp"
#include "engine/write_block.hpp"
#include "io/byte_source.hpp"

namespace respace {

template <class T>
class LabelRing {
public:
  LabelRing(std::size_t plane_values, std::int64_t planes, bool swap)
      : plane_values_(plane_values), planes_(planes), swap_(swap), mem_(plane_values * static_cast<std::size_t>(planes)) {}

  // Plane z, which must be among the last `planes` read (have - planes <= z < have).
  const T* plane(std::int64_t z, std::int64_t have) const {
    if (z < have - planes_ || z >= have) throw std::logic_error("label vote: a tap read a plane the ring does not hold");
    return slot(z);
  }

  // Reads plane z (in order) and counts its labels.
  void read(ByteSource& in, std::int64_t z, LabelCounts<T>& counts) {
    T* dst = mem_.data() + offset(z);
    in.read_exact(dst, plane_values_ * sizeof(T));
    if (swap_)
      for (std::size_t i = 0; i < plane_values_; ++i) dst[i] = byteswap_value(dst[i]);
    counts.count(dst, plane_values_, false);
  }

private:
  std::size_t offset(std::int64_t z) const { return static_cast<std::size_t>(z % planes_) * plane_values_; }
  const T* slot(std::int64_t z) const { return mem_.data() + offset(z); }

  std::size_t plane_values_;
  std::int64_t planes_;
  bool swap_;
  std::vector<T> mem_;
};

// One 3-D volume: `planes_in` input planes, `planes_out` output planes of
// `plane_out_values` labels in blocks of `block`; vote(k0, k1, have, dst)
// fills output planes [k0, k1) once the first `have` input planes are read.
template <class T, class Vote>
void run_label_volume(ByteSource& in, ByteSink& out, LabelRing<T>& ring, LabelCounts<T>& counts,
                      const std::vector<std::int64_t>& ready, std::int64_t planes_in, std::int64_t planes_out,
                      int block, std::size_t plane_out_values, const Vote& vote) {
  std::vector<T> dst(plane_out_values * static_cast<std::size_t>(block));
  std::int64_t have = 0;
  for (std::size_t b = 0; b < ready.size(); ++b) {
    for (; have < ready[b]; ++have) ring.read(in, have, counts);
    const std::int64_t k0 = static_cast<std::int64_t>(b) * block, k1 = std::min(planes_out, k0 + block);
    vote(k0, k1, have, dst.data());
    const std::size_t values = plane_out_values * static_cast<std::size_t>(k1 - k0);
    counts.count(dst.data(), values, true);
    write_block(out, reinterpret_cast<const unsigned char*>(dst.data()), values * sizeof(T));
  }
  for (; have < planes_in; ++have) ring.read(in, have, counts);  // planes no output reads: counted all the same
}

}  // namespace respace
