// SPDX-License-Identifier: MIT
#include "engine/separable_tables.hpp"

namespace respace {

SeparableTables build_separable_tables(const ResampleSetup& s) {
  const auto table = [&](std::size_t k) {
    const AxisMap& a = s.grid.axis[k];
    return s.coefficients ? build_coefficient_table<double>(a, *s.kernel, s.boundary, s.filter[k])
                          : build_axis_table<double>(a, *s.kernel, s.boundary, s.filter[k]);
  };
  return {table(0), table(1), table(2)};
}

}  // namespace respace
