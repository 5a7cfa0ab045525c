// SPDX-License-Identifier: MIT
// The option table and its two readers: read_job_options() for what one job
// may set (shared with manifest lines), read_call_options() for what applies
// to the whole call. parse_options() reads the command line with both.
#include "cli/options.hpp"

#include "cli/part.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "cli/kernel_table.hpp"
#include "cli/option_table.hpp"
#include "io/byte_size.hpp"
#include "io/error.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace po = boost::program_options;
namespace {

const char* kUsage = "Usage: respace INPUT OUTPUT [options]\n"
                     "       respace --output-dir DIR [--suffix S] INPUT... [options]\n"
                     "       respace --manifest FILE [options]\n"
                     "Resample a NIfTI volume (.nii, .nii.gz, .hdr/.img) to a new voxel spacing,\n"
                     "streaming it through bounded memory.\n";

const char* kExamples =
    "Examples:\n"
    "  respace brain_100um.nii.gz brain_150um.nii.gz --spacing 0.15 0.15 0.15\n"
    "  respace in.nii.gz out.nii.gz --z-spacing 0.15            # only z changes\n"
    "  respace in.nii.gz out.nii.gz --size 256 256 256          # fixed size, FOV kept\n"
    "  respace in.nii.gz out.nii --spacing 0.2 0.2 0.2 --order 0 --grid origin\n"
    "  respace in.nii.gz out.nii.gz --spacing 0.15 0.15 0.15 --order 3        # cubic B-spline, mirror\n"
    "  respace in.nii.gz small.nii.gz --spacing 1 1 1 --antialias box         # mean over each 1 mm voxel\n"
    "  respace in.nii.gz out.nii.gz --spacing 0.15 0.15 0.15 --dry-run\n"
    "  respace moving.nii.gz moved.nii.gz --like fixed.nii.gz --affine fixed_to_moving.txt --order 3\n"
    "  respace moving.nii.gz moved.nii.gz --like fixed.nii.gz --flirt moving_to_fixed.mat --order 3\n"
    "  respace in.nii.gz roi.nii.gz --crop 100 120 40 64 64 32 --size 128 128 64\n"
    "  respace in.nii.gz itk.nii.gz --spacing 2 2 2 --convention itk          # ITK's numbers and size\n"
    "  respace in.nii.gz out.nii.gz --spacing 0.15 0.15 0.15 --qc check.png   # and a picture of both\n"
    "  respace in.nii.gz zoom.nii.gz --spacing 0.1 0.1 0.15 --convention scipy-zoom   # resample_nifti.py's\n"
    "  respace --output-dir out --suffix _150um --spacing 0.15 0.15 0.15 --keep-going data/*.nii.gz\n"
    "  respace --manifest jobs.txt --spacing 0.15 0.15 0.15 --keep-going --skip-existing\n"
    "  respace in.nii.gz part3.rsp --spacing 0.15 0.15 0.15 --part 3/16     # on one machine of 16\n"
    "  respace join out.nii.gz part*.rsp                                      # then the parts into one\n"
    "  respace index in.nii.gz            # access points, so that parts start inflating near their planes\n"
    "Manifest (--manifest FILE, - for standard input): one job per line,\n"
    "  INPUT OUTPUT [--spacing/--x-spacing/.../--size/--grid/--order/--kernel/--antialias/--boundary/\n"
    "               --convention/--fov/--size-rounding/--int-rounding/--header-spacing/--xform-source/--qc/\n"
    "               --fill/--datatype/--compression-level/--gzip-engine/--like/--affine/--flirt/\n"
    "               --crop/--crop-mm ...]\n"
    "  split like a shell line ('...', \"...\", \\ escapes); blank lines and lines starting\n"
    "  with # are skipped; paths are relative to the current folder. A line's option wins\n"
    "  over the command line's; a line's --spacing, --x/y/z-spacing or --size replaces the\n"
    "  command line's whole grid request. Every line is checked before any job runs.\n"
    "Progress: a bar on stderr when it is a terminal (not with --quiet).\n"
    "Exit codes: 0 ok, 1 internal error, 2 bad usage, 3 invalid input,\n"
    "            4 output problem, 5 memory limit too small.\n";

const char* const kAxes[3] = {"x-spacing", "y-spacing", "z-spacing"};

bool given(const po::variables_map& vm, const char* name) { return vm.count(name) && !vm[name].defaulted(); }

bool gives_grid_request(const po::variables_map& vm) {
  for (const char* n : {"spacing", "xyz-spacing", "x-spacing", "y-spacing", "z-spacing", "size"})
    if (given(vm, n)) return true;
  return false;
}

// The --spacing family and --size of `vm` alone, checked against each other.
void read_grid_request(const po::variables_map& vm, GridRequest& g) {
  g.spacing = {};
  g.size.reset();
  if (given(vm, "spacing") && given(vm, "xyz-spacing")) usage("give --spacing or --xyz-spacing, not both");
  const char* triple = given(vm, "spacing") ? "spacing" : given(vm, "xyz-spacing") ? "xyz-spacing" : nullptr;
  if (triple) {
    auto v = vm[triple].as<std::vector<double>>();
    if (v.size() != 3) usage(std::string("--") + triple + " takes three values: X Y Z in mm");
    for (const char* a : kAxes)
      if (given(vm, a)) usage(std::string("--") + a + " cannot be combined with --" + triple);
    for (int k = 0; k < 3; ++k) g.spacing[k] = v[k];
  }
  for (int k = 0; k < 3; ++k)
    if (given(vm, kAxes[k])) g.spacing[k] = vm[kAxes[k]].as<double>();
  for (int k = 0; k < 3; ++k)
    if (g.spacing[k] && !(*g.spacing[k] > 0)) usage(std::string("--") + kAxes[k] + " must be a positive number of mm");

  if (given(vm, "size")) {
    auto v = vm["size"].as<std::vector<std::int64_t>>();
    if (v.size() != 3) usage("--size takes three values: NX NY NZ");
    for (auto s : v)
      if (s < 1) usage("--size values must be at least 1");
    g.size = std::array<std::int64_t, 3>{v[0], v[1], v[2]};
  }
}

// What applies to the whole call: files, batch mode, threads, memory, flags.
void read_call_options(const po::variables_map& vm, Options& o) {
  const auto files = vm.count("files") ? vm["files"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (given(vm, "manifest")) {
    o.manifest = vm["manifest"].as<std::string>();
    if (given(vm, "output-dir")) usage("--manifest and --output-dir exclude each other");
    if (!files.empty()) usage("--manifest takes its files from the manifest, not the command line (" + files[0] + ")");
  } else if (given(vm, "output-dir")) {
    o.output_dir = vm["output-dir"].as<std::string>();
    if (files.empty()) usage("--output-dir needs at least one INPUT");
    o.inputs = files;
  } else {
    if (files.size() != 2)
      usage("respace needs an INPUT and an OUTPUT file (or --output-dir DIR INPUT..., or --manifest FILE)");
    o.input = files[0];
    o.output = files[1];
  }
  if (given(vm, "suffix")) {
    if (!o.output_dir) usage("--suffix needs --output-dir");
    o.suffix = vm["suffix"].as<std::string>();
  }
  o.keep_going = given(vm, "keep-going");
  o.skip_existing = given(vm, "skip-existing");
  if (o.skip_existing && given(vm, "force")) usage("--skip-existing and --force contradict each other");
  if (given(vm, "threads")) o.threads = vm["threads"].as<int>();
  if (o.threads < 0 || o.threads > kMaxThreads)
    usage("--threads must be 0 (all cores) to " + std::to_string(kMaxThreads) + ", got " + std::to_string(o.threads));
  if (given(vm, "memory-limit")) o.memory_limit = parse_size(vm["memory-limit"].as<std::string>());
  if (given(vm, "block-planes")) {
    o.block = vm["block-planes"].as<int>();
    if (*o.block < 1) usage("--block-planes must be at least 1");
  }
  o.dry_run = given(vm, "dry-run");
  o.force = given(vm, "force");
  o.quiet = given(vm, "quiet");
  o.compare = given(vm, "compare");
  o.json = given(vm, "json");
  if (given(vm, "part")) {
    o.part = parse_part(vm["part"].as<std::string>());
    if (o.manifest || o.output_dir) usage("--part splits one job; not with --manifest or --output-dir");
    if (o.compare) usage("--compare reports a whole volume; not with --part");
  }
  if (given(vm, "part-format")) {
    const std::string f = vm["part-format"].as<std::string>();
    if (f != "nii.gz" && f != "nii") usage("--part-format must be nii.gz or nii, not '" + f + "'");
    if (!o.part) usage("--part-format needs --part");
    o.part_raw = f == "nii";
  }
  if (given(vm, "index")) {
    if (!o.part) usage("--index is read by a part (--part K/N)");
    o.index = vm["index"].as<std::string>();
  }
}

}  // namespace

[[noreturn]] void usage(const std::string& what) { throw Error(ExitCode::usage, what + " (see respace --help)"); }

// The options one job may set, the only ones a manifest line may give: the
// one list is_job_option() reads (no second, hand-synced copy).
po::options_description job_options() {
  po::options_description o("Resampling options (one job; also allowed on a manifest line)");
  o.add_options()
      ("spacing", po::value<std::vector<double>>()->multitoken(), "X Y Z target spacing in mm")
      ("xyz-spacing", po::value<std::vector<double>>()->multitoken(), "alias of --spacing")
      ("x-spacing", po::value<double>(), "target spacing of x in mm (other axes unchanged)")
      ("y-spacing", po::value<double>(), "target spacing of y in mm")
      ("z-spacing", po::value<double>(), "target spacing of z in mm")
      ("size", po::value<std::vector<std::int64_t>>()->multitoken(),
       "NX NY NZ output size in voxels (alone: --grid fov; with a spacing: that spacing exactly, as ITK)")
      ("like", po::value<std::string>()->value_name("REF"), "resample onto REF's grid (dims, qform, sform, codes)")
      ("affine", po::value<std::string>()->value_name("FILE"),
       "world transform, output -> input (4x4 text in RAS mm, or an ITK text transform; see README)")
      ("flirt", po::value<std::string>()->value_name("FILE"),
       "FSL FLIRT matrix (flirt -omat) from the input to REF, FLIRT's -ref; needs --like REF")
      ("crop", po::value<std::vector<std::int64_t>>()->multitoken(),
       "I0 J0 K0 NI NJ NK: resample only this box of input voxels (first index, size), as if it were the input")
      ("crop-mm", po::value<std::vector<double>>()->multitoken(),
       "X0 Y0 Z0 X1 Y1 Z1: crop to the input voxels whose centres lie between two world points (mm)")
      ("order", po::value<int>()->default_value(1),
       "interpolation: 0 nearest, 1 linear, 2 quadratic or 3 cubic B-spline (exact prefilter)")
      ("kernel", po::value<std::string>()->value_name("NAME"),
       "the kernel by name, instead of --order: nearest | linear | quadratic | cubic")
      ("antialias", po::value<std::string>()->value_name("MODE"),
       "auto (default) | off | gauss | box: filter axes that shrink (auto: gauss where they shrink 2x or more; "
       "see README)")
      ("labels", "the input is a label map: each output voxel takes the label with the largest summed weight "
                 "under the kernel (ties to the lowest); values kept exactly (default when the header's intent is "
                 "label or neuroname; see README)")
      ("no-labels", "resample a label-intent input as values")
      ("boundary", po::value<std::string>(),
       "nearest | mirror | reflect | constant: values beyond the edge (default nearest for orders 0-1, "
       "mirror for 2-3)")
      ("fill", po::value<double>()->default_value(0.0),
       "value outside the field of view, and beyond the edge with --boundary constant")
      ("datatype", po::value<std::string>()->value_name("TYPE"),
       "output type: uint8 int8 int16 uint16 int32 uint32 int64 uint64 float32 float64 (default: the input's; "
       "integers rounded and clamped)")
      ("grid", po::value<std::string>(),
       "center (default) | origin | fov | corners: what stays fixed (see README)")
      ("convention", po::value<std::string>()->value_name("PEER"),
       "respace (default) | itk | scipy | scipy-zoom: reproduce that peer's output; sets the five options "
       "below, --grid, --boundary and --antialias off unless given (see README)")
      ("fov", po::value<std::string>()->value_name("RULE"),
       "closed (default: [-0.5, n-0.5]) | half-open ([-0.5, n-0.5), ITK) | hull ([0, n-1], scipy "
       "mode='constant'): where samples are inside, outside they are --fill")
      ("size-rounding", po::value<std::string>()->value_name("RULE"),
       "half-up (default) | half-even (scipy zoom) | itk (round(n*s/t + 0.5)): the output size from a spacing")
      ("int-rounding", po::value<std::string>()->value_name("RULE"),
       "nearest (default) | toward-zero (ITK's cast): integer output")
      ("header-spacing", po::value<std::string>()->value_name("WHICH"),
       "used (default) | requested (resample_nifti.py: the requested spacing in the header, whatever the grid "
       "sampled)")
      ("qc", po::value<std::string>()->value_name("FILE.png"),
       "also write a picture of the input's and output's mid-slices, gathered while streaming (see README)")
      ("xform-source", po::value<std::string>()->value_name("FORM"),
       "sform | qform: plan with that input transform and write both output transforms from it (default: "
       "each from its own)")
      ("compression-level", po::value<int>(),
       "gzip level 1-9 for .gz outputs (ISA-L: 1-2 -> 1, 3-5 -> 2, 6-9 -> 3); default: within 2% of "
       "zlib level 6's size, as fast as possible (see README)")
      ("gzip-engine", po::value<std::string>(),
       "zlib | isal | libdeflate: the gzip engine (see README for the default)");
  return o;
}

// What applies to the whole call: files, batch mode, threads, memory, flags.
po::options_description call_options() {
  po::options_description o("Options of the whole call");
  o.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the version and exit")
      ("threads", po::value<int>()->default_value(0), "worker threads, 0 to 1024 (0: all cores)")
      ("memory-limit", po::value<std::string>(),
       "bound on the whole process, e.g. 512M, 2G (default 256M, raised for a wide volume up to 3/4 of the "
       "machine's memory)")
      ("dry-run", "print the plan (dims, spacing, affine, memory) and exit")
      ("force", "replace an existing output")
      ("quiet,q", "print nothing but errors (and no progress bar)")
      ("output-dir", po::value<std::string>(), "batch: every argument is an input; outputs go to DIR, same format")
      ("suffix", po::value<std::string>(), "batch: added to each output name before its extension, e.g. _150um")
      ("manifest", po::value<std::string>()->value_name("FILE"),
       "batch: run the jobs listed in FILE (- = standard input), one per line: INPUT OUTPUT [options] "
       "(format below)")
      ("keep-going", "batch: go on past a failing input; summary at the end, non-zero exit if any failed")
      ("skip-existing", "leave an output that exists and count it done (to resume a batch)")
      ("compare", "report min, max, mean and std of input and output (computed while streaming)")
      ("json", "print the report as one JSON object on stdout (errors too), nothing else")
      ("part", po::value<std::string>()->value_name("K/N"),
       "write part K of N of the output into OUTPUT (a part file, any name); respace join OUTPUT PART... "
       "makes the file the single run writes (README: One volume on many machines)")
      ("part-format", po::value<std::string>()->value_name("FMT"),
       "nii.gz (default) | nii: the stream the parts hold, so the joined output's format")
      ("index", po::value<std::string>()->value_name("PATH"),
       "--part: the input's access points made by respace index (default: INPUT.respace-index, when it exists)");
  return o;
}

po::options_description visible_options() {
  po::options_description o;
  o.add(job_options()).add(call_options());
  return o;
}

po::options_description all_options() {
  po::options_description all = visible_options();
  all.add_options()("files", po::value<std::vector<std::string>>(), "")("block-planes", po::value<int>(), "");
  return all;
}

po::positional_options_description positional_files() {
  po::positional_options_description pos;
  pos.add("files", -1);
  return pos;
}

namespace {

// Levenshtein distance, for suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string option_error(const po::error& e) {
  std::string what = e.what();
  const auto* unknown = dynamic_cast<const po::unknown_option*>(&e);
  if (!unknown) return what;
  std::string given = unknown->get_option_name();
  while (!given.empty() && given[0] == '-') given.erase(0, 1);
  const std::string name = given.substr(0, given.find('='));
  std::string best;
  std::size_t best_d = SIZE_MAX;
  const po::options_description known_options = visible_options();
  for (const auto& opt : known_options.options()) {
    const std::string& known = opt->long_name();
    const std::size_t d = edit_distance(name, known);
    if (d < best_d) best_d = d, best = known;
  }
  // Close enough to be a typo: at most a third of the name wrong.
  if (!best.empty() && best_d <= std::max<std::size_t>(1, best.size() / 3)) what += "; did you mean --" + best + "?";
  return what;
}

bool is_job_option(const std::string& name) {
  static const po::options_description job = job_options();
  return job.find_nothrow(name, false) != nullptr;
}

void read_job_options(const po::variables_map& vm, Options& o) {
  if (given(vm, "like") && (gives_grid_request(vm) || given(vm, "grid")))
    usage("--like takes REF's grid: no --spacing, --size or --grid with it");
  if (gives_grid_request(vm)) {
    read_grid_request(vm, o.grid);
    o.like.reset();  // a later source's grid request replaces an earlier --like
  }
  if (given(vm, "like")) {
    o.like = vm["like"].as<std::string>();
    o.grid = GridRequest{};  // and a later --like an earlier grid request
  }
  if (given(vm, "affine") && given(vm, "flirt")) usage("give --affine or --flirt, not both");
  if (given(vm, "affine")) {
    o.affine = vm["affine"].as<std::string>();
    o.flirt.reset();  // a later source's transform replaces an earlier one
  }
  if (given(vm, "flirt")) {
    o.flirt = vm["flirt"].as<std::string>();
    o.affine.reset();
  }
  if (given(vm, "crop") && given(vm, "crop-mm")) usage("give --crop or --crop-mm, not both");
  if (given(vm, "crop")) {
    auto v = vm["crop"].as<std::vector<std::int64_t>>();
    if (v.size() != 6) usage("--crop takes six values: I0 J0 K0 NI NJ NK (first voxel, size)");
    for (int k = 0; k < 3; ++k) {
      if (v[static_cast<std::size_t>(k)] < 0) usage("--crop: the first voxel cannot be negative");
      if (v[static_cast<std::size_t>(k + 3)] < 1) usage("--crop: sizes must be at least 1");
    }
    o.crop = std::array<std::int64_t, 6>{v[0], v[1], v[2], v[3], v[4], v[5]};
    o.crop_mm.reset();
  }
  if (given(vm, "crop-mm")) {
    auto v = vm["crop-mm"].as<std::vector<double>>();
    if (v.size() != 6) usage("--crop-mm takes six values: X0 Y0 Z0 X1 Y1 Z1 (two world points, mm)");
    for (double x : v)
      if (!std::isfinite(x)) usage("--crop-mm values must be finite");
    o.crop_mm = std::array<double, 6>{v[0], v[1], v[2], v[3], v[4], v[5]};
    o.crop.reset();
  }
  if (given(vm, "grid")) {
    o.grid.policy = parse_grid_policy(vm["grid"].as<std::string>());
    if (!o.grid.policy) usage("--grid must be one of center, origin, fov, corners");
  }
  if (given(vm, "order")) {
    o.kernel = kernel_of_order(vm["order"].as<int>());
    if (!o.kernel) usage("--order must be 0 (nearest), 1 (linear), 2 or 3 (B-spline)");
  }
  if (given(vm, "kernel")) {
    const Kernel* k = kernel_named(vm["kernel"].as<std::string>());
    if (!k) usage("--kernel must be one of " + kernel_names());
    if (given(vm, "order") && k != o.kernel)
      usage("--kernel " + vm["kernel"].as<std::string>() + " and --order " + std::to_string(vm["order"].as<int>()) +
            " name different kernels; give one");
    o.kernel = k;
  }
  if (given(vm, "antialias")) {
    const std::optional<Antialias> a = parse_antialias(vm["antialias"].as<std::string>());
    if (!a) usage("--antialias must be one of auto, off, gauss, box");
    o.settings.antialias = *a;
  }
  if (given(vm, "labels") && given(vm, "no-labels")) usage("give --labels or --no-labels, not both");
  if (given(vm, "labels")) o.labels = true;
  if (given(vm, "no-labels")) o.labels = false;
  if (given(vm, "boundary")) {
    o.settings.boundary = parse_boundary(vm["boundary"].as<std::string>());
    if (!o.settings.boundary) usage("--boundary must be one of nearest, mirror, reflect, constant");
  }
  if (given(vm, "convention")) {
    const std::optional<Convention> c = parse_convention(vm["convention"].as<std::string>());
    if (!c) usage("--convention must be one of respace, itk, scipy, scipy-zoom");
    o.settings.convention = *c;
  }
  if (given(vm, "fov")) {
    o.settings.fov = parse_fov_rule(vm["fov"].as<std::string>());
    if (!o.settings.fov) usage("--fov must be one of closed, half-open, hull");
  }
  if (given(vm, "size-rounding")) {
    o.settings.size_rounding = parse_size_rounding(vm["size-rounding"].as<std::string>());
    if (!o.settings.size_rounding) usage("--size-rounding must be one of half-up, half-even, itk");
  }
  if (given(vm, "int-rounding")) {
    o.settings.int_rounding = parse_int_rounding(vm["int-rounding"].as<std::string>());
    if (!o.settings.int_rounding) usage("--int-rounding must be one of nearest, toward-zero");
  }
  if (given(vm, "header-spacing")) {
    o.settings.header_spacing = parse_header_spacing(vm["header-spacing"].as<std::string>());
    if (!o.settings.header_spacing) usage("--header-spacing must be one of used, requested");
  }
  if (given(vm, "qc")) {
    o.qc = vm["qc"].as<std::string>();
    if (!ends_with(*o.qc, ".png")) usage("--qc takes a .png file name");
  }
  if (given(vm, "xform-source")) {
    const std::string v = vm["xform-source"].as<std::string>();
    if (v != "sform" && v != "qform") usage("--xform-source must be sform or qform");
    o.xform_source = v == "sform" ? XformSource::sform : XformSource::qform;
  }
  if (given(vm, "fill")) o.fill = vm["fill"].as<double>();
  if (!std::isfinite(o.fill) && !std::isnan(o.fill)) usage("--fill must be a finite number or nan");
  if (given(vm, "datatype")) {
    o.datatype = scalar_datatype_named(vm["datatype"].as<std::string>());
    if (*o.datatype == 0)
      usage("--datatype must be one of uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64");
  }
  if (given(vm, "compression-level")) {
    o.compression_level = vm["compression-level"].as<int>();
    if (*o.compression_level < 1 || *o.compression_level > 9) usage("--compression-level must be 1 to 9");
  }
  if (given(vm, "gzip-engine")) {
    o.gzip_engine = parse_gzip_engine(vm["gzip-engine"].as<std::string>());
    if (!o.gzip_engine) usage("--gzip-engine must be zlib, isal or libdeflate");
  }
}

void require_grid_request(const Options& o) {
  bool any_request = o.grid.size.has_value();
  for (const auto& s : o.grid.spacing) any_request |= s.has_value();
  if (o.like && o.grid.policy) usage("--like takes REF's grid: no --grid with it");
  if (o.flirt && !o.like) usage("--flirt needs --like REF, the -ref image FLIRT registered the input to");
  if (!any_request && !o.like && !o.affine && !o.crop && !o.crop_mm)
    usage("say what to resample to: --spacing, --x/y/z-spacing, --size, --like, --affine or --crop");
}

ParseResult parse_options(int argc, const char* const* argv) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all_options()).positional(positional_files()).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    usage(option_error(e));
  }

  ParseResult res;
  if (vm.count("help")) {
    std::ostringstream s;
    s << kUsage << visible_options() << "\n" << kExamples;
    res.print_and_exit = s.str();
    return res;
  }
  if (vm.count("version")) {
    res.print_and_exit = std::string("respace ") + RESPACE_VERSION + "\n";
    return res;
  }
  Options& o = res.options;
  read_call_options(vm, o);
  read_job_options(vm, o);
  if (!o.manifest) require_grid_request(o);  // a manifest's lines may each say it
  return res;
}

}  // namespace respace
