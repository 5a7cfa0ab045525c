// SPDX-License-Identifier: MIT
#include "engine/antialias.hpp"

#include <algorithm>
#include <cmath>

namespace respace {

const char* to_string(Antialias a) {
  switch (a) {
    case Antialias::automatic: return "auto";
    case Antialias::off: return "off";
    case Antialias::gauss: return "gauss";
    case Antialias::box: return "box";
  }
  return "?";
}

std::optional<Antialias> parse_antialias(const std::string& s) {
  for (Antialias a : {Antialias::automatic, Antialias::off, Antialias::gauss, Antialias::box})
    if (s == to_string(a)) return a;
  return std::nullopt;
}

const char* to_string(AxisFilter::Kind k) {
  switch (k) {
    case AxisFilter::Kind::none: return "none";
    case AxisFilter::Kind::gauss: return "gauss";
    case AxisFilter::Kind::box: return "box";
  }
  return "?";
}

AxisFilter axis_filter(Antialias mode, double k) {
  AxisFilter f;
  f.k = k;
  if (!(k > 1) || mode == Antialias::off || (mode == Antialias::automatic && !(k >= 2))) return f;
  if (mode == Antialias::box) {
    f.kind = AxisFilter::Kind::box;
    return f;
  }
  f.kind = AxisFilter::Kind::gauss;
  f.sigma = std::sqrt((k * k - 1) / (8 * std::log(2.0)));
  // Capped far beyond any table the planner lets through (planning_bytes()
  // refuses it first), so the cast is defined for any k.
  f.radius = static_cast<int>(std::min(4.0 * f.sigma + 0.5, static_cast<double>(1 << 30)));
  return f;
}

std::vector<double> AxisFilter::gauss_weights() const {
  std::vector<double> w(static_cast<std::size_t>(2 * radius + 1));
  double sum = 0;
  for (int d = -radius; d <= radius; ++d) {
    const double v = std::exp(-0.5 / (sigma * sigma) * static_cast<double>(d) * static_cast<double>(d));
    w[static_cast<std::size_t>(d + radius)] = v;
    sum += v;
  }
  for (double& v : w) v /= sum;
  return w;
}

}  // namespace respace
