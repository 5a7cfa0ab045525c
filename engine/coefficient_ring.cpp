// SPDX-License-Identifier: MIT
#include "engine/coefficient_ring.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>


namespace respace {

PlaneRange plane_taps_z(const Mat4& v, const std::int64_t m[3], std::int64_t k, std::int64_t nz, const Kernel& kernel,
                        std::vector<double>& w) {
  // Interior positions are computed with the corners' formula; this covers
  // their rounding (positions are at most ~1e5, so errors ~1e-11).
  constexpr double kSlack = 1e-6;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const std::int64_t i : {std::int64_t{0}, m[0] - 1})
    for (const std::int64_t j : {std::int64_t{0}, m[1] - 1}) {
      const double pz = v[2][0] * static_cast<double>(i) + v[2][1] * static_cast<double>(j) +
                        v[2][2] * static_cast<double>(k) + v[2][3];
      lo = std::min(lo, pz);
      hi = std::max(hi, pz);
    }
  lo = std::max(lo, -0.5);
  hi = std::min(hi, static_cast<double>(nz) - 0.5);
  if (lo > hi) return {};
  w.resize(static_cast<std::size_t>(kernel.support(1.0)));
  return {true, kernel.weights_at(lo - kSlack, 1.0, w.data()),
          kernel.weights_at(hi + kSlack, 1.0, w.data()) + static_cast<std::int64_t>(w.size()) - 1};
}

RingPlan plan_ring(const Mat4& v, const std::int64_t n[3], const std::int64_t m[3], const Kernel& kernel,
                   int block) {
  const int margin = kernel.margin();
  const std::int64_t extended = n[2] + 2 * margin;
  std::vector<double> w;
  std::vector<PlaneRange> planes(static_cast<std::size_t>(m[2]));
  for (std::int64_t k = 0; k < m[2]; ++k) {
    const PlaneRange t = plane_taps_z(v, m, k, n[2], kernel, w);
    if (!t.any) continue;  // the whole plane is fill
    planes[static_cast<std::size_t>(k)] = {true, std::clamp<std::int64_t>(t.lo + margin, 0, extended - 1),
                                           std::clamp<std::int64_t>(t.hi + margin, 0, extended - 1)};
  }
  BlockWindows windows = block_windows(planes, block);
  RingPlan r;
  r.need = std::move(windows.need);
  r.ready = std::move(windows.ready);
  r.keep = std::move(windows.keep);
  r.planes = windows.held_max;
  r.planes = std::max<std::int64_t>(r.planes, 1);
  return r;
}

CoefficientRing::CoefficientRing(std::size_t plane_bytes, const RingPlan& plan, std::function<void(std::int64_t)> emit)
    : plane_bytes_(plane_bytes),
      plan_(plan),
      emit_(std::move(emit)),
      mem_(new unsigned char[plane_bytes * static_cast<std::size_t>(plan.planes)]) {}

void CoefficientRing::reset() {
  have_ = 0;
  next_ = 0;
}

void CoefficientRing::take_plane(std::int64_t, const unsigned char* values, std::size_t bytes) {
  if (next_ >= static_cast<std::int64_t>(plan_.need.size())) return;  // every block is out: never read
  if (bytes != plane_bytes_) throw std::logic_error("coefficient ring: a plane of the wrong size");
  // A plane below keep is read by no block still to come: not stored.
  if (have_ >= plan_.keep[static_cast<std::size_t>(next_)])
    std::memcpy(mem_.get() + static_cast<std::size_t>(have_ % plan_.planes) * plane_bytes_, values, bytes);
  ++have_;
  plane_arrived();
}

void CoefficientRing::plane_arrived() {
  const auto blocks = static_cast<std::int64_t>(plan_.need.size());
  while (next_ < blocks && plan_.ready[static_cast<std::size_t>(next_)] <= have_) {
    emit_(next_);
    ++next_;
  }
}

void CoefficientRing::finish() {
  const auto blocks = static_cast<std::int64_t>(plan_.need.size());
  if (next_ < blocks && plan_.ready[static_cast<std::size_t>(next_)] > have_)
    throw std::logic_error("coefficient ring: finished before the planes its blocks read arrived");
  for (; next_ < blocks; ++next_) emit_(next_);
}

bool CoefficientRing::holds(std::int64_t lo, std::int64_t hi) const {
  const auto b = static_cast<std::size_t>(next_);
  return b < plan_.keep.size() && lo >= plan_.keep[b] && lo >= have_ - plan_.planes && hi < have_;
}

}  // namespace respace
