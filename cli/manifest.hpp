// SPDX-License-Identifier: MIT
// --manifest FILE: a list of jobs, one per line,
//
//   INPUT OUTPUT [--spacing X Y Z | --x/y/z-spacing V | --size NX NY NZ]
//                [--grid G] [--order N] [--boundary B] [--fill V]
//                [--compression-level N] [--gzip-engine E]
//
// split like a POSIX shell line by boost::program_options::split_unix
// ('...' and "..." group words, a backslash escapes a quote, a backslash or a
// blank). Blank lines and lines whose first non-blank character is # are
// skipped; a trailing \r is dropped. Paths are used as written (relative to
// the current folder, not to the manifest).
//
// Each job starts from the command line's options; a line's option replaces
// the same option, and a line's grid request (--spacing family or --size)
// replaces the command line's whole grid request. Any other option on a line
// applies to the whole call and is refused. The whole manifest is read and
// checked before any job runs, so a typo on line 300 costs nothing: the
// error names the line ("jobs.txt:300: ...") and the exit code is 2.
//
// Memory: the jobs are held as Options, a few hundred bytes per line.
// Thread safety: reads std::cin for "-"; call from one thread.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "cli/options.hpp"

namespace respace {

// Reads call.manifest (a file, or standard input for "-"). Throws
// Error(usage) naming the line for a bad line, an unreadable manifest or
// one without jobs.
std::vector<JobSpec> read_manifest(const Options& call);

// The same from an open stream; `name` is used in messages.
std::vector<JobSpec> read_manifest(std::istream& in, const std::string& name, const Options& call);

}  // namespace respace
