// SPDX-License-Identifier: MIT
// The one exception type respace throws across module boundaries, and the
// documented exit codes it maps to. Hot paths do not throw per voxel; they
// throw at most once per plane or per buffer, and main() turns the exception
// into one line on stderr and the exit code below.
#pragma once

#include <stdexcept>
#include <string>

namespace respace {

// Exit codes are part of the command-line contract (README, "Exit codes").
enum class ExitCode : int {
  ok = 0,
  internal = 1,      // a bug: please report
  usage = 2,         // bad command line
  bad_input = 3,     // unreadable or invalid input file
  bad_output = 4,    // output exists, is the input, or cannot be written
  memory_limit = 5,  // --memory-limit below the smallest working set
};

class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string& what) : std::runtime_error(what), code_(code) {}
  ExitCode code() const noexcept { return code_; }

private:
  ExitCode code_;
};

}  // namespace respace
