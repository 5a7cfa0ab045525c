// SPDX-License-Identifier: MIT
// Running the jobs of one call: a single INPUT OUTPUT, or a batch
// (--output-dir DIR INPUT..., or --manifest FILE, cli/manifest.hpp), one job
// after another, so the memory limit holds for the whole call. A batch is
// listed in full (a manifest read and checked to its last line) before its
// first job runs. Each job prints its report (or one JSON line
// with --json); a failing job stops the batch unless --keep-going, which
// ends with a summary on stderr and the first failing job's exit code.
// --skip-existing leaves outputs that exist (outputs appear only when
// complete, so an interrupted batch resumes safely). A job run with stderr
// on a terminal shows a progress bar (cli/progress.hpp), "[3/5] name" in a
// batch.
#pragma once

#include <string>

#include "cli/options.hpp"

namespace respace {

// The output of `input` in batch mode: DIR/stem + suffix + the input's own
// extension (.nii.gz, .nii, .hdr or .hdr.gz for pairs).
std::string batch_output_name(const std::string& input, const std::string& dir, const std::string& suffix);

// Runs every job; returns the process exit code.
int run_jobs(const Options& o);

}  // namespace respace
