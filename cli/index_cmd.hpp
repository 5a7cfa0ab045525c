// SPDX-License-Identifier: MIT
// respace index INPUT [--output PATH] [--span BYTES] [--force] [--json]:
// access points into a gzipped input (io/gzip_index.hpp), so that parts
// (--part K/N) start inflating just before the planes they read. Written
// beside the input as INPUT.respace-index unless --output says where.
#pragma once

namespace respace {

// argv[1] is "index". Returns the exit code; throws Error.
int run_index(int argc, const char* const* argv);

}  // namespace respace
