// SPDX-License-Identifier: MIT
#include "cli/kernel_table.hpp"

#include "engine/kernels/bspline.hpp"
#include "engine/kernels/linear.hpp"
#include "engine/kernels/nearest.hpp"

namespace respace {

const std::vector<KernelEntry>& kernel_table() {
  static const std::vector<KernelEntry> table = {
      {nearest_kernel, 0},
      {linear_kernel, 1},
      {quadratic_kernel, 2},
      {cubic_kernel, 3},
  };
  return table;
}

const Kernel* kernel_named(const std::string& name) {
  for (const KernelEntry& e : kernel_table())
    if (name == e.kernel().name()) return &e.kernel();
  return nullptr;
}

const Kernel* kernel_of_order(int order) {
  for (const KernelEntry& e : kernel_table())
    if (e.order >= 0 && e.order == order) return &e.kernel();
  return nullptr;
}

int order_of(const Kernel& k) {
  for (const KernelEntry& e : kernel_table())  // by name: tight_prefilter()'s kernels are their order's
    if (std::string(e.kernel().name()) == k.name()) return e.order;
  return -1;
}

std::string kernel_names() {
  std::string s;
  for (const KernelEntry& e : kernel_table()) s += (s.empty() ? "" : ", ") + std::string(e.kernel().name());
  return s;
}

}  // namespace respace
