// SPDX-License-Identifier: MIT
// Sizes in bytes as people write and read them: the one formatter every
// report, error and progress line uses, and the reader of --memory-limit.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace respace {

// "256M", "2G", "1.5GiB", "1048576" -> bytes. Throws Error(usage).
std::uint64_t parse_size(const std::string& s);
// 1023 -> "1023 B", 1536 -> "1.5 KiB", 3 << 30 -> "3.00 GiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace respace
