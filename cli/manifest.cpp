// SPDX-License-Identifier: MIT
#include "cli/manifest.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>

#include "cli/option_table.hpp"
#include "io/error.hpp"
#include "io/nifti_output.hpp"

namespace respace {
namespace po = boost::program_options;
namespace {

[[noreturn]] void line_error(const std::string& where, const std::string& what) {
  throw Error(ExitCode::usage, where + ": " + what);
}

bool skipped(const std::string& line) {
  const std::size_t first = line.find_first_not_of(" \t");
  return first == std::string::npos || line[first] == '#';
}

// One line: split, parsed with the whole option table (so that an option
// meant for the whole call is named as such, not as unknown), then read on
// top of the call's options.
JobSpec parse_line(const std::string& line, const std::string& where, const Options& call) {
  std::vector<std::string> words;
  try {
    words = po::split_unix(line);
  } catch (const std::runtime_error& e) {  // boost::escaped_list_error: a bad backslash
    line_error(where, std::string("cannot split the line: ") + e.what());
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(words).options(all_options()).positional(positional_files()).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    line_error(where, option_error(e));
  }
  for (const auto& [name, value] : vm)
    if (name != "files" && !value.defaulted() && !is_job_option(name))
      line_error(where, "--" + name + " applies to the whole call, not one job");
  const auto files = vm.count("files") ? vm["files"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() != 2)
    line_error(where, "a line is INPUT OUTPUT [options]; found " + std::to_string(files.size()) + " file name" +
                          (files.size() == 1 ? "" : "s"));

  JobSpec job{call, where};
  Options& o = job.options;
  o.manifest.reset();
  o.input = files[0];
  o.output = files[1];
  try {
    read_job_options(vm, o);
    require_grid_request(o);
    (void)output_names(o.output);  // a bad output name is a usage error, caught now
  } catch (const Error& e) {
    line_error(where, e.what());
  }
  return job;
}

}  // namespace

std::vector<JobSpec> read_manifest(std::istream& in, const std::string& name, const Options& call) {
  std::vector<JobSpec> jobs;
  std::map<std::string, std::string> output_line;  // each output once: a second line would clobber the first
  std::string line;
  for (long number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (skipped(line)) continue;
    const std::string where = name + ":" + std::to_string(number);
    JobSpec job = parse_line(line, where, call);
    const auto [it, fresh] = output_line.emplace(
        std::filesystem::path(output_names(job.options.output).image).lexically_normal().string(), where);
    if (!fresh) line_error(where, job.options.output + " is also the output of " + it->second);
    jobs.push_back(std::move(job));
  }
  if (in.bad()) throw Error(ExitCode::usage, name + ": cannot read the manifest");
  if (jobs.empty()) throw Error(ExitCode::usage, name + ": the manifest lists no jobs");
  return jobs;
}

std::vector<JobSpec> read_manifest(const Options& call) {
  const std::string& path = *call.manifest;
  if (path == "-") return read_manifest(std::cin, "stdin", call);
  std::ifstream f(path);
  if (!f) throw Error(ExitCode::usage, path + ": cannot open the manifest: " + std::strerror(errno));
  return read_manifest(f, path, call);
}

}  // namespace respace
