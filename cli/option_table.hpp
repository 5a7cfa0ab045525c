// SPDX-License-Identifier: MIT
// The option table and the reader that turns a Boost variables_map into
// Options, shared by the command line (options.cpp) and the lines of a
// manifest (manifest.cpp). Each source is parsed into its own variables_map
// and read on top of the Options it refines, so a later source wins option
// by option: Boost's store() would keep the first value instead, and its
// defaulted values would beat nothing we could tell apart.
//
// Thread safety: pure functions of their arguments.
#pragma once

#include <boost/program_options.hpp>

#include <string>

#include "cli/options.hpp"

namespace respace {

// The options one job may set (also on a manifest line), and those of the
// whole call; visible_options() is the two, in that order.
boost::program_options::options_description job_options();
boost::program_options::options_description call_options();
// Every option, the hidden ones too (positional "files", "block-planes").
boost::program_options::options_description all_options();
// The options --help shows.
boost::program_options::options_description visible_options();
// Every positional argument goes to "files".
boost::program_options::positional_options_description positional_files();

// True for the options of job_options(), which a manifest line may give.
// The rest apply to the whole call.
bool is_job_option(const std::string& name);

// Sets in `o` what `vm` gives of the job options, leaving the rest as it is.
// Any grid request (--spacing family or --size) replaces o.grid's spacing
// and size as a whole; --grid replaces only the policy. Defaulted values
// are ignored. Throws Error(usage) naming the option.
void read_job_options(const boost::program_options::variables_map& vm, Options& o);

// Throws Error(usage) when `o` does not say what to resample to.
void require_grid_request(const Options& o);

// A Boost parse error as one line; an unknown option gets the nearest known
// one as a suggestion ("unrecognised option '--spacng'; did you mean
// --spacing?").
std::string option_error(const boost::program_options::error& e);

// Throws Error(usage) with "what (see respace --help)".
[[noreturn]] void usage(const std::string& what);

}  // namespace respace
