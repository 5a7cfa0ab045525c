// SPDX-License-Identifier: MIT
// The command line of `respace` (SPEC §8): one declarative option table
// (Boost.Program_options) and the parsed result. Parameters are checked here
// and in plan_grid(); every message names the option.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/convention.hpp"
#include "cli/part.hpp"
#include "cli/input_geometry.hpp"
#include "engine/antialias.hpp"
#include "engine/kernel.hpp"
#include "engine/kernels/linear.hpp"
#include "engine/geometry.hpp"
#include "io/gzip_codec.hpp"

namespace respace {

// --threads above this is a typo, not a machine (oneTBB would silently cap
// it at what it can start).
constexpr int kMaxThreads = 1024;

struct Options {
  std::string input, output;            // this job's files
  std::vector<std::string> inputs;      // batch: every input (with output_dir)
  std::optional<std::string> output_dir;
  std::optional<std::string> manifest;  // batch: the jobs file ("-": standard input)
  std::string suffix;                   // batch: added to each output's stem
  bool keep_going = false;              // batch: go on past a failing job
  bool skip_existing = false;           // batch: leave outputs that exist
  GridRequest grid;
  std::optional<std::string> like;    // --like REF: REF's grid
  std::optional<std::string> affine;  // --affine FILE (cli/affine_file.hpp)
  std::optional<std::string> flirt;   // --flirt FILE: a FLIRT matrix (needs like)
  std::optional<std::array<std::int64_t, 6>> crop;  // I0 J0 K0 NI NJ NK (stored voxels)
  std::optional<std::array<double, 6>> crop_mm;     // X0 Y0 Z0 X1 Y1 Z1 (world mm)
  const Kernel* kernel = &linear_kernel();  // --kernel or --order (cli/kernel_table.hpp)
  // --convention, --boundary, --fov, --size-rounding, --int-rounding,
  // --header-spacing, --antialias: unset ones from the convention
  // (cli/convention.hpp).
  SettingOptions settings;
  std::optional<XformSource> xform_source;  // --xform-source: which input transform both output ones come from
  std::optional<std::string> qc;  // --qc FILE.png: the mid-slices of input and output (cli/qc.hpp)
  std::optional<bool> labels;  // --labels / --no-labels; default: the header's intent (label, neuroname)
  double fill = 0;
  std::optional<int> datatype;  // --datatype: the output's (NIfTI code); default the input's
  int threads = 0;  // 0: all cores
  std::optional<std::uint64_t> memory_limit;
  std::optional<int> compression_level;   // default: choose_gzip()
  std::optional<GzipEngine> gzip_engine;  // default: default_gzip_engine()
  std::optional<int> block;  // hidden: force the block depth (tests, benchmarks)
  bool dry_run = false;
  bool force = false;
  bool quiet = false;
  bool compare = false;  // min/max/mean/std of input and output
  bool json = false;     // the report as one JSON object on stdout
  std::optional<PartSpec> part;  // --part K/N: part K of N of the output stream (cli/part.hpp)
  bool part_raw = false;         // --part-format nii: parts of the .nii stream
  std::optional<std::string> index;  // --index PATH: the input's access points (default: beside it)
};

// One job of a batch: the call's options with this job's files (and, from a
// manifest line, its own resampling options), and where it was listed
// ("jobs.txt:7"; empty for --output-dir).
struct JobSpec {
  Options options;
  std::string where;
};

struct ParseResult {
  Options options;
  std::optional<std::string> print_and_exit;  // --help or --version text
};

// Throws Error(usage) with a message naming the option. With --manifest, the
// command line's resampling options are the defaults of every line (and the
// grid request may come from the lines alone); see cli/manifest.hpp.
ParseResult parse_options(int argc, const char* const* argv);

}  // namespace respace
