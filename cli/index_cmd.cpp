// SPDX-License-Identifier: MIT
#include "cli/index_cmd.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <unistd.h>

#include "io/byte_size.hpp"
#include "io/byte_source.hpp"
#include "io/error.hpp"
#include "io/gzip_index.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace {

const char* const kUsage =
    "usage: respace index INPUT [--output PATH] [--span SIZE] [--force] [--json]\n"
    "  Access points into a gzipped INPUT, one every SIZE of its decompressed stream (default 64M),\n"
    "  so that parts (respace INPUT PART --part K/N) start inflating just before their planes.\n"
    "  Written to INPUT.respace-index (where parts look for it), or to --output PATH (give parts --index PATH).\n";

}  // namespace

int run_index(int argc, const char* const* argv) {
  std::string input, output;
  std::uint64_t span = kDefaultIndexSpan;
  bool force = false, json = false;
  for (int i = 2; i < argc; ++i) {
    const std::string s = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(ExitCode::usage, "index: " + s + " needs a value (respace index --help)");
      return argv[++i];
    };
    if (s == "--help" || s == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (s == "--output") {
      output = value();
    } else if (s == "--span") {
      span = parse_size(value());
    } else if (s == "--force") {
      force = true;
    } else if (s == "--json") {
      json = true;
    } else if (s.rfind("--", 0) == 0) {
      throw Error(ExitCode::usage, "index: unrecognised option '" + s + "' (respace index --help)");
    } else if (input.empty()) {
      input = s;
    } else {
      throw Error(ExitCode::usage, "index: one INPUT only (respace index --help)");
    }
  }
  if (input.empty()) throw Error(ExitCode::usage, "index: give the INPUT to index (respace index --help)");
  if (span < (std::uint64_t{1} << 20)) throw Error(ExitCode::usage, "index: --span must be at least 1M");
  // A .hdr names its .img; the index is of the file that holds the data.
  const std::string data = InputVolume::open(input).data_path();
  if (!file_is_gzip(data)) throw Error(ExitCode::usage, data + ": not gzipped; a raw input needs no index (parts seek in it)");
  if (output.empty()) output = default_index_path(data);
  if (!force && ::access(output.c_str(), F_OK) == 0)
    throw Error(ExitCode::bad_output, output + ": exists (use --force to replace it)");
  const auto t0 = std::chrono::steady_clock::now();
  const GzipIndex index = build_gzip_index(data, span);
  const std::uint64_t bytes = write_gzip_index(index, output, force);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (json) {
    std::cout << nlohmann::json{{"input", data},      {"index", output},          {"points", index.points.size()},
                                {"span", index.span}, {"stream_bytes", index.total_out}, {"index_bytes", bytes},
                                {"seconds", seconds}}
                     .dump()
              << "\n";
  } else {
    std::printf("Index:   %s: %zu access points, one every %s of %s decompressed; %s, %.2f s\n", output.c_str(),
                index.points.size(), format_bytes(index.span).c_str(), format_bytes(index.total_out).c_str(),
                format_bytes(bytes).c_str(), seconds);
  }
  return 0;
}

}  // namespace respace
