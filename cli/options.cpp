// SPDX-License-Identifier: MIT
#include "cli/options.hpp"

#include <boost/program_options.hpp>

#include <cmath>
#include <sstream>
#include <vector>

#include "engine/memory_plan.hpp"
#include "io/error.hpp"

namespace respace {
namespace po = boost::program_options;
namespace {

const char* kUsage = "Usage: respace INPUT OUTPUT [options]\n"
                     "       respace --output-dir DIR [--suffix S] INPUT... [options]\n"
                     "Resample a NIfTI volume (.nii, .nii.gz, .hdr/.img) to a new voxel spacing,\n"
                     "streaming it through bounded memory.\n";

const char* kExamples =
    "Examples:\n"
    "  respace brain_100um.nii.gz brain_150um.nii.gz --spacing 0.15 0.15 0.15\n"
    "  respace in.nii.gz out.nii.gz --z-spacing 0.15            # only z changes\n"
    "  respace in.nii.gz out.nii.gz --size 256 256 256          # fixed size, FOV kept\n"
    "  respace in.nii.gz out.nii --spacing 0.2 0.2 0.2 --order 0 --grid origin\n"
    "  respace in.nii.gz out.nii.gz --spacing 0.15 0.15 0.15 --order 3        # cubic B-spline, mirror\n"
    "  respace in.nii.gz out.nii.gz --spacing 0.15 0.15 0.15 --dry-run\n"
    "  respace moving.nii.gz moved.nii.gz --like fixed.nii.gz --affine fixed_to_moving.txt --order 3\n"
    "  respace in.nii.gz roi.nii.gz --crop 100 120 40 64 64 32 --size 128 128 64\n"
    "Exit codes: 0 ok, 1 internal error, 2 bad usage, 3 invalid input,\n"
    "            4 output problem, 5 memory limit too small.\n";

po::options_description option_table() {
  po::options_description o("Options");
  o.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the version and exit")
      ("spacing", po::value<std::vector<double>>()->multitoken(), "X Y Z target spacing in mm")
      ("xyz-spacing", po::value<std::vector<double>>()->multitoken(), "alias of --spacing")
      ("x-spacing", po::value<double>(), "target spacing of x in mm (other axes unchanged)")
      ("y-spacing", po::value<double>(), "target spacing of y in mm")
      ("z-spacing", po::value<double>(), "target spacing of z in mm")
      ("size", po::value<std::vector<std::int64_t>>()->multitoken(),
       "NX NY NZ output size in voxels (implies --grid fov)")
      ("like", po::value<std::string>(), "REF: resample onto REF's grid (dims, qform, sform, codes)")
      ("affine", po::value<std::string>(),
       "FILE: world transform, output -> input (4x4 text in RAS mm, or an ITK text transform; see README)")
      ("crop", po::value<std::vector<std::int64_t>>()->multitoken(),
       "I0 J0 K0 NI NJ NK: resample only this box of input voxels (first index, size), as if it were the input")
      ("crop-mm", po::value<std::vector<double>>()->multitoken(),
       "X0 Y0 Z0 X1 Y1 Z1: crop to the input voxels whose centres lie between two world points (mm)")
      ("order", po::value<int>()->default_value(1),
       "interpolation: 0 nearest, 1 linear, 2 quadratic or 3 cubic B-spline (exact prefilter)")
      ("boundary", po::value<std::string>(),
       "nearest | mirror | reflect | constant: values beyond the edge (default nearest for orders 0-1, "
       "mirror for 2-3)")
      ("fill", po::value<double>()->default_value(0.0),
       "value outside the field of view, and beyond the edge with --boundary constant")
      ("grid", po::value<std::string>(),
       "center (default) | origin | fov | corners: what stays fixed (see README)")
      ("threads", po::value<int>()->default_value(0), "worker threads (0: all cores)")
      ("memory-limit", po::value<std::string>(), "bound on the whole process, e.g. 512M, 2G (default 256M)")
      ("compression-level", po::value<int>(),
       "gzip level 1-9 for .gz outputs (ISA-L: 1-2 -> 1, 3-5 -> 2, 6-9 -> 3); default: within 2% of "
       "zlib level 6's size, as fast as possible (see README)")
      ("gzip-engine", po::value<std::string>(), "zlib | isal: the gzip engine (see README for the default)")
      ("dry-run", "print the plan (dims, spacing, affine, memory) and exit")
      ("force", "replace an existing output")
      ("quiet,q", "print nothing but errors")
      ("output-dir", po::value<std::string>(), "batch: every argument is an input; outputs go to DIR, same format")
      ("suffix", po::value<std::string>(), "batch: added to each output name before its extension, e.g. _150um")
      ("keep-going", "batch: go on past a failing input; summary at the end, non-zero exit if any failed")
      ("skip-existing", "leave an output that exists and count it done (to resume a batch)")
      ("compare", "report min, max, mean and std of input and output (computed while streaming)")
      ("json", "print the report as one JSON object on stdout (errors too), nothing else");
  return o;
}

[[noreturn]] void usage(const std::string& what) {
  throw Error(ExitCode::usage, what + " (see respace --help)");
}

}  // namespace

ParseResult parse_options(int argc, const char* const* argv) {
  po::options_description visible = option_table();
  po::options_description all = visible;
  all.add_options()("files", po::value<std::vector<std::string>>(), "")("block-planes", po::value<int>(), "");
  po::positional_options_description pos;
  pos.add("files", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    usage(e.what());
  }

  ParseResult res;
  if (vm.count("help")) {
    std::ostringstream s;
    s << kUsage << "\n" << visible << "\n" << kExamples;
    res.print_and_exit = s.str();
    return res;
  }
  if (vm.count("version")) {
    res.print_and_exit = std::string("respace ") + RESPACE_VERSION + "\n";
    return res;
  }
  Options& o = res.options;
  const auto files = vm.count("files") ? vm["files"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (vm.count("output-dir")) {
    o.output_dir = vm["output-dir"].as<std::string>();
    if (files.empty()) usage("--output-dir needs at least one INPUT");
    o.inputs = files;
  } else {
    if (files.size() != 2) usage("respace needs an INPUT and an OUTPUT file (or --output-dir DIR INPUT...)");
    o.input = files[0];
    o.output = files[1];
  }
  if (vm.count("suffix")) {
    if (!o.output_dir) usage("--suffix needs --output-dir");
    o.suffix = vm["suffix"].as<std::string>();
  }
  o.keep_going = vm.count("keep-going") > 0;
  o.skip_existing = vm.count("skip-existing") > 0;
  if (o.skip_existing && vm.count("force")) usage("--skip-existing and --force contradict each other");

  if (vm.count("spacing") && vm.count("xyz-spacing")) usage("give --spacing or --xyz-spacing, not both");
  const char* triple = vm.count("spacing") ? "spacing" : vm.count("xyz-spacing") ? "xyz-spacing" : nullptr;
  const char* axes[3] = {"x-spacing", "y-spacing", "z-spacing"};
  if (triple) {
    auto v = vm[triple].as<std::vector<double>>();
    if (v.size() != 3) usage(std::string("--") + triple + " takes three values: X Y Z in mm");
    for (const char* a : axes)
      if (vm.count(a)) usage(std::string("--") + a + " cannot be combined with --" + triple);
    for (int k = 0; k < 3; ++k) o.grid.spacing[k] = v[k];
  }
  for (int k = 0; k < 3; ++k)
    if (vm.count(axes[k])) o.grid.spacing[k] = vm[axes[k]].as<double>();
  for (int k = 0; k < 3; ++k)
    if (o.grid.spacing[k] && !(*o.grid.spacing[k] > 0))
      usage(std::string("--") + axes[k] + " must be a positive number of mm");

  if (vm.count("size")) {
    auto v = vm["size"].as<std::vector<std::int64_t>>();
    if (v.size() != 3) usage("--size takes three values: NX NY NZ");
    for (auto s : v)
      if (s < 1) usage("--size values must be at least 1");
    bool any_spacing = false;
    for (const auto& s : o.grid.spacing) any_spacing |= s.has_value();
    if (any_spacing) usage("--size cannot be combined with a target spacing");
    o.grid.size = std::array<std::int64_t, 3>{v[0], v[1], v[2]};
  }
  bool any_grid = o.grid.size.has_value();
  for (const auto& s : o.grid.spacing) any_grid |= s.has_value();
  if (vm.count("like")) {
    if (any_grid || vm.count("grid")) usage("--like takes REF's grid: no --spacing, --size or --grid with it");
    o.like = vm["like"].as<std::string>();
  }
  if (vm.count("affine")) o.affine = vm["affine"].as<std::string>();
  if (vm.count("crop") && vm.count("crop-mm")) usage("give --crop or --crop-mm, not both");
  if (vm.count("crop")) {
    auto v = vm["crop"].as<std::vector<std::int64_t>>();
    if (v.size() != 6) usage("--crop takes six values: I0 J0 K0 NI NJ NK (first voxel, size)");
    for (int k = 0; k < 3; ++k) {
      if (v[static_cast<std::size_t>(k)] < 0) usage("--crop: the first voxel cannot be negative");
      if (v[static_cast<std::size_t>(k + 3)] < 1) usage("--crop: sizes must be at least 1");
    }
    o.crop = std::array<std::int64_t, 6>{v[0], v[1], v[2], v[3], v[4], v[5]};
  }
  if (vm.count("crop-mm")) {
    auto v = vm["crop-mm"].as<std::vector<double>>();
    if (v.size() != 6) usage("--crop-mm takes six values: X0 Y0 Z0 X1 Y1 Z1 (two world points, mm)");
    for (double x : v)
      if (!std::isfinite(x)) usage("--crop-mm values must be finite");
    o.crop_mm = std::array<double, 6>{v[0], v[1], v[2], v[3], v[4], v[5]};
  }
  if (!any_grid && !o.like && !o.affine && !o.crop && !o.crop_mm)
    usage("say what to resample to: --spacing, --x/y/z-spacing, --size, --like, --affine or --crop");

  if (vm.count("grid")) {
    o.grid.policy = parse_grid_policy(vm["grid"].as<std::string>());
    if (!o.grid.policy) usage("--grid must be one of center, origin, fov, corners");
  }
  o.order = vm["order"].as<int>();
  if (o.order < 0 || o.order > 3) usage("--order must be 0 (nearest), 1 (linear), 2 or 3 (B-spline)");
  if (vm.count("boundary")) {
    o.boundary = parse_boundary(vm["boundary"].as<std::string>());
    if (!o.boundary) usage("--boundary must be one of nearest, mirror, reflect, constant");
  }
  o.fill = vm["fill"].as<double>();
  if (!std::isfinite(o.fill) && !std::isnan(o.fill)) usage("--fill must be a finite number or nan");
  o.threads = vm["threads"].as<int>();
  if (o.threads < 0) usage("--threads must be 0 (all cores) or more");
  if (vm.count("memory-limit")) o.memory_limit = parse_size(vm["memory-limit"].as<std::string>());
  if (vm.count("compression-level")) {
    o.compression_level = vm["compression-level"].as<int>();
    if (*o.compression_level < 1 || *o.compression_level > 9) usage("--compression-level must be 1 to 9");
  }
  if (vm.count("gzip-engine")) {
    o.gzip_engine = parse_gzip_engine(vm["gzip-engine"].as<std::string>());
    if (!o.gzip_engine) usage("--gzip-engine must be zlib or isal");
  }
  if (vm.count("block-planes")) {
    o.block = vm["block-planes"].as<int>();
    if (*o.block < 1) usage("--block-planes must be at least 1");
  }
  o.dry_run = vm.count("dry-run") > 0;
  o.force = vm.count("force") > 0;
  o.quiet = vm.count("quiet") > 0;
  o.compare = vm.count("compare") > 0;
  o.json = vm.count("json") > 0;
  return res;
}

}  // namespace respace
