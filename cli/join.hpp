// SPDX-License-Identifier: MIT
// respace join OUTPUT PART... [--force] [--json]: the parts of one job
// (cli/part.hpp), in any order, into one standard single-member .nii.gz (or
// a .nii), byte for byte what the single run writes. Refused, with nothing
// written: parts of different jobs, a part missing or given twice, a part
// that is truncated or corrupted, an OUTPUT whose name does not match the
// parts' stream (.nii.gz for gzip parts, .nii for raw ones).
#pragma once

namespace respace {

// argv[1] is "join". Returns the exit code; throws Error like a job does.
int run_join(int argc, const char* const* argv);

}  // namespace respace
