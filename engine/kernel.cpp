// SPDX-License-Identifier: MIT
#include "engine/kernel.hpp"

#include <vector>

namespace respace {

const char* to_string(Boundary b) {
  switch (b) {
    case Boundary::nearest: return "nearest";
    case Boundary::mirror: return "mirror";
    case Boundary::reflect: return "reflect";
    case Boundary::constant: return "constant";
  }
  return "?";
}

std::optional<Boundary> parse_boundary(const std::string& s) {
  for (Boundary b : {Boundary::nearest, Boundary::mirror, Boundary::reflect, Boundary::constant})
    if (s == to_string(b)) return b;
  return std::nullopt;
}

int Kernel::table_taps(double zoom) const {
  const std::optional<Prefilter> f = prefilter();
  return support(zoom) + (f ? 2 * f->halo : 0);
}

// A symmetric kernel of support s evaluated at p = -0.5 starts at -s/2
// (s even) or -(s-1)/2 (s odd): (s + 1) / 2 covers both, and the same
// beyond n - 0.5.
int Kernel::margin() const { return (support(1.0) + 1) / 2; }

std::int64_t Kernel::weights_at(double p, double zoom, double* w) const {
  std::int64_t first = 0;
  weights(&p, 1, zoom, &first, w);
  return first;
}

}  // namespace respace
