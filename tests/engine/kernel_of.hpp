// SPDX-License-Identifier: MIT
// The built-in kernels by --order number, for the engine tests (the command
// line's table is cli/kernel_table.hpp).
#pragma once

#include "engine/kernels/bspline.hpp"
#include "engine/kernels/linear.hpp"
#include "engine/kernels/nearest.hpp"

namespace respace {

inline const Kernel& kernel_of(int order) {
  switch (order) {
    case 0: return nearest_kernel();
    case 1: return linear_kernel();
    case 2: return quadratic_kernel();
    default: return cubic_kernel();
  }
}

}  // namespace respace
