// SPDX-License-Identifier: MIT
// Fuzz target: the planner alone, as the command line drives it (issue 12).
// The bytes choose a header (NIfTI-1 or -2, dims up to 2^40 voxels, volumes,
// datatype, pixdim, an sform that may be oblique or singular), written as a
// sparse file (no voxel data is ever read), and a command line (--spacing
// from 1e-7 to 1e3 mm or --size up to 2^40, --crop, --order, --boundary, --antialias, --labels,
// --grid, --threads, --memory-limit or the default, an --affine that turns
// the volume, the output's format, --convention, --size with a spacing,
// --header-spacing, --xform-source). parse_options() and plan_job() then
// either refuse with a documented exit code (never "internal", never
// bad_alloc) or return a plan that fits its limit: within --memory-limit
// when given, within the ceiling of the default when it grew. Throughout,
// the heap (ASan's allocator hooks) never holds more than the limit given
// (or the default limit, 256M) plus a small constant: nothing in planning
// allocates beyond what the limit allows, whatever the request.
#include <fcntl.h>
#include <sys/stat.h>
#include <sanitizer/allocator_interface.h>
#include <unistd.h>

#include <fuzzer/FuzzedDataProvider.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "cli/job.hpp"
#include "cli/options.hpp"
#include "engine/memory_limit.hpp"
#include "io/error.hpp"

namespace {

std::atomic<std::int64_t> g_live{0}, g_peak{0};
std::atomic<bool> g_counting{false};

void on_malloc(const volatile void*, std::size_t size) {
  if (!g_counting.load(std::memory_order_relaxed)) return;
  const std::int64_t now = g_live.fetch_add(static_cast<std::int64_t>(size)) + static_cast<std::int64_t>(size);
  std::int64_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
}

void on_free(const volatile void* p) {
  if (!g_counting.load(std::memory_order_relaxed) || !p) return;
  g_live.fetch_sub(static_cast<std::int64_t>(__sanitizer_get_allocated_size(const_cast<const void*>(p))));
}

// What planning may hold beyond the limit: option strings, the nifti_image,
// messages, the scan of the output folder.
constexpr std::int64_t kSmallConstant = std::int64_t{2} << 20;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_planner: %s: %s\n", what, detail.c_str());
  std::abort();
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// A NIfTI header of `dims` written at `path`, its data a hole.
template <class H>
void write_header(FuzzedDataProvider& f, H h, const std::vector<std::int64_t>& dims, int datatype,
                  const std::string& path) {
  h.dim[0] = static_cast<std::remove_reference_t<decltype(h.dim[0])>>(dims.size());
  for (std::size_t d = 0; d < dims.size(); ++d) h.dim[d + 1] = static_cast<std::remove_reference_t<decltype(h.dim[0])>>(dims[d]);
  for (std::size_t d = dims.size() + 1; d < 8; ++d) h.dim[d] = 1;
  h.datatype = static_cast<short>(datatype);
  int nbyper = 0, swapsize = 0;
  nifti_datatype_sizes(datatype, &nbyper, &swapsize);
  h.bitpix = static_cast<short>(8 * nbyper);
  for (int k = 1; k <= 3; ++k) h.pixdim[k] = static_cast<std::remove_reference_t<decltype(h.pixdim[0])>>(std::pow(10.0, f.ConsumeFloatingPointInRange(-3.0, 1.0)));
  h.sform_code = 0;
  if (f.ConsumeBool()) {  // an sform of small integers and a scale: oblique, flipped or singular
    h.sform_code = 1;
    for (int c = 0; c < 4; ++c) {
      h.srow_x[c] = static_cast<std::remove_reference_t<decltype(h.srow_x[0])>>(f.ConsumeIntegralInRange(-2, 2));
      h.srow_y[c] = static_cast<std::remove_reference_t<decltype(h.srow_y[0])>>(f.ConsumeIntegralInRange(-2, 2));
      h.srow_z[c] = static_cast<std::remove_reference_t<decltype(h.srow_z[0])>>(f.ConsumeIntegralInRange(-2, 2));
    }
  }
  h.vox_offset = sizeof(H) + 4;
  std::uint64_t data = static_cast<std::uint64_t>(nbyper > 0 ? nbyper : 1);
  for (std::int64_t d : dims) data = respace::sat_mul(data, static_cast<std::uint64_t>(d));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return;
  const char extender[4] = {0, 0, 0, 0};
  if (::write(fd, &h, sizeof h) < 0 || ::write(fd, extender, 4) < 0) {
  }
  // The data as a hole, when it fits a sparse file (else the header alone:
  // the reader refuses it as truncated, which is fine too).
  if (data <= (std::uint64_t{1} << 40) && ::ftruncate(fd, static_cast<off_t>(sizeof(H) + 4 + data)) != 0) {
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace respace;
  FuzzedDataProvider f(data, size);
  const std::string dir = "/tmp/respace-fuzz-planner-" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0700);
  const std::string in = dir + "/in.nii", affine = dir + "/w.txt";

  const bool two = f.ConsumeBool();
  std::vector<std::int64_t> dims;
  const int rank = f.ConsumeIntegralInRange(1, 5);
  for (int d = 0; d < rank; ++d) {
    const int bits = f.ConsumeIntegralInRange(0, d < 3 ? (two ? 40 : 14) : 3);
    dims.push_back(f.ConsumeIntegralInRange<std::int64_t>(1, std::int64_t{1} << bits));
  }
  const int types[] = {DT_UINT8, DT_INT16, DT_FLOAT32, DT_FLOAT64, DT_RGB24, DT_INT64, DT_COMPLEX64};
  const int datatype = types[f.ConsumeIntegralInRange<std::size_t>(0, 6)];
  if (two) {
    nifti_2_header h{};
    h.sizeof_hdr = 540;
    std::memcpy(h.magic, "n+2\0\r\n\032\n", 8);
    write_header(f, h, dims, datatype, in);
  } else {
    nifti_1_header h{};
    h.sizeof_hdr = 348;
    std::memcpy(h.magic, "n+1", 4);
    write_header(f, h, dims, datatype, in);
  }

  const char* outs[] = {"/out.nii.gz", "/out.nii", "/out.hdr"};
  std::vector<std::string> args = {"respace", in, dir + outs[f.ConsumeIntegralInRange(0, 2)], "--dry-run",
                                   "--quiet"};
  switch (f.ConsumeIntegralInRange(0, 2)) {
    case 0:
      args.push_back("--spacing");
      for (int k = 0; k < 3; ++k) args.push_back(number(std::pow(10.0, f.ConsumeFloatingPointInRange(-7.0, 3.0))));
      break;
    case 1:
      args.push_back("--size");
      for (int k = 0; k < 3; ++k)
        args.push_back(std::to_string(f.ConsumeIntegralInRange<std::int64_t>(1, std::int64_t{1} << f.ConsumeIntegralInRange(0, 40))));
      break;
    default: {  // an affine: a turn of 90 degrees or a small rotation about z
      const double a = f.ConsumeBool() ? M_PI / 2 : f.ConsumeFloatingPointInRange(-0.3, 0.3);
      if (FILE* w = std::fopen(affine.c_str(), "w")) {
        std::fprintf(w, "%.17g %.17g 0 0\n%.17g %.17g 0 0\n0 0 1 0\n0 0 0 1\n", std::cos(a), -std::sin(a),
                     std::sin(a), std::cos(a));
        std::fclose(w);
      }
      args.insert(args.end(), {"--affine", affine});
    }
  }
  if (f.ConsumeBool()) {
    args.push_back("--crop");
    for (int k = 0; k < 6; ++k)
      args.push_back(std::to_string(f.ConsumeIntegralInRange<std::int64_t>(k < 3 ? -2 : 0, INT64_MAX >> f.ConsumeIntegralInRange(0, 63))));
  }
  args.insert(args.end(), {"--order", std::to_string(f.ConsumeIntegralInRange(0, 3))});
  if (f.ConsumeBool()) args.insert(args.end(), {"--boundary", f.ConsumeBool() ? "mirror" : "constant"});
  if (f.ConsumeBool()) args.insert(args.end(), {"--grid", f.ConsumeBool() ? "corners" : "origin"});
  args.insert(args.end(), {"--threads", std::to_string(f.ConsumeIntegralInRange(0, 2000))});
  std::uint64_t given = 0;
  if (f.ConsumeBool()) {  // 1 KiB to 512 MiB (the fuzzer's RSS limit is 1 GiB)
    given = std::uint64_t{1} << f.ConsumeIntegralInRange(10, 29);
    given += f.ConsumeIntegralInRange<std::uint64_t>(0, given - 1);
    args.insert(args.end(), {"--memory-limit", std::to_string(given)});
  }
  // Last, so the saved inputs of earlier versions still ask what they asked.
  if (f.remaining_bytes() > 0) {
    const char* modes[] = {"auto", "off", "gauss", "box"};
    args.insert(args.end(), {"--antialias", modes[f.ConsumeIntegralInRange(0, 3)]});
    if (f.ConsumeBool()) args.push_back("--labels");
  }
  // Issue 16: a peer's convention, a size with the spacing, the header's
  // spacing, the transform source.
  if (f.remaining_bytes() > 0) {
    const char* conventions[] = {"respace", "itk", "scipy", "scipy-zoom"};
    args.insert(args.end(), {"--convention", conventions[f.ConsumeIntegralInRange(0, 3)]});
    if (f.ConsumeBool()) {
      args.push_back("--size");
      for (int k = 0; k < 3; ++k)
        args.push_back(std::to_string(f.ConsumeIntegralInRange<std::int64_t>(1, std::int64_t{1} << f.ConsumeIntegralInRange(0, 40))));
    }
    if (f.ConsumeBool()) args.insert(args.end(), {"--header-spacing", f.ConsumeBool() ? "requested" : "used"});
    if (f.ConsumeBool()) args.insert(args.end(), {"--xform-source", f.ConsumeBool() ? "qform" : "sform"});
  }

  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  if (std::getenv("RESPACE_FUZZ_VERBOSE")) {  // to see what a saved input asks (=PATH: keep its files as PATH.*)
    std::fprintf(stderr, "header %s, dims", two ? "NIfTI-2" : "NIfTI-1");
    for (std::int64_t d : dims) std::fprintf(stderr, " %lld", static_cast<long long>(d));
    std::fprintf(stderr, ", datatype %d\n", datatype);
    for (const std::string& a : args) std::fprintf(stderr, "%s ", a.c_str());
    std::fprintf(stderr, "\n");
    // The files themselves, kept for a replay with the respace binary.
    const std::string keep = std::getenv("RESPACE_FUZZ_VERBOSE");
    if (keep.size() > 1) {
      std::system(("cp " + in + " " + keep + ".nii; cp " + affine + " " + keep + ".txt 2>/dev/null").c_str());
      std::fprintf(stderr, "kept as %s.nii (and .txt)\n", keep.c_str());
    }
  }
  g_live = 0;
  g_peak = 0;
  g_counting = true;
  try {
    const ParseResult parsed = parse_options(static_cast<int>(argv.size()), argv.data());
    const JobPlan p = plan_job(parsed.options);
    const MemoryAccount& m = p.resample.memory;  // the one account, either path
    if (given && (m.limit != given || m.planned > given))
      fail("a plan past --memory-limit", std::to_string(m.planned) + " > " + std::to_string(given));
    if (!given && m.limit > default_limit_ceiling())
      fail("the default limit grew past its ceiling", std::to_string(m.limit));
    if (!given && m.planned > m.limit)
      fail("a plan past its own limit", std::to_string(m.planned) + " > " + std::to_string(m.limit));
    std::uint64_t named = 0;
    for (const MemoryItem& it : m.items) named += it.bytes;
    if (named < m.planned) fail("planned bytes no buffer names", std::to_string(named) + " < " + std::to_string(m.planned));
  } catch (const Error& e) {
    if (e.code() == ExitCode::internal) fail("internal error", e.what());
  } catch (const std::bad_alloc&) {
    fail("bad_alloc while planning", std::to_string(g_peak.load()));
  }
  g_counting = false;
  // The default limit grows for planes, never for planning's own tables.
  const std::int64_t bound = static_cast<std::int64_t>(given ? given : kDefaultMemoryLimit) + kSmallConstant;
  if (g_peak.load() > bound)
    fail("planning held more than the limit", std::to_string(g_peak.load()) + " > " + std::to_string(bound));
  ::unlink(in.c_str());
  ::unlink(affine.c_str());
  return 0;
}
