// SPDX-License-Identifier: MIT
// The kernels the command line offers: --kernel NAME, and --order N for
// those with an order number. Adding a kernel is its header in
// engine/kernels/ plus one line in kernel_table() (cli/kernel_table.cpp).
//
// Thread safety: the table is a static, built once.
#pragma once

#include <string>
#include <vector>

#include "engine/kernel.hpp"

namespace respace {

struct KernelEntry {
  const Kernel& (*kernel)();
  int order = -1;  // its --order number, or -1
};

const std::vector<KernelEntry>& kernel_table();
// The kernel of that name or --order number, or nullptr.
const Kernel* kernel_named(const std::string& name);
const Kernel* kernel_of_order(int order);
// The kernel's --order number, or -1.
int order_of(const Kernel& k);
// "nearest, linear, quadratic, cubic": for --help and errors.
std::string kernel_names();

}  // namespace respace
