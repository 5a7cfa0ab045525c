// SPDX-License-Identifier: MIT
// respace._core: the C++ jobs for the Python package (python/respace). The
// command line's own parser, planner and writer run here; Python only turns
// keyword arguments into the command line's words (respace/_args.py).
//
//   run(args, progress, bar)            a file-to-file job; the --json report
//   plan(args)                          the plan (--dry-run --json)
//   array_header(path, dims, dtype, A)  a NIfTI-1 .hdr for an array in memory
//   plan_array(args, header, data)      the plan of run_array
//   run_array(args, header, data, out)  a job from the array `data` (its
//                                       bytes as the header describes them,
//                                       never copied) into the array `out`;
//                                       returns (report, output header bytes)
//
// A job runs on a thread of its own while the calling thread waits with the
// GIL released, waking every kPoll to call `progress(done, total)` and
// PyErr_CheckSignals(): Ctrl-C (KeyboardInterrupt) sets a flag that the
// job's input checks on its next read, so the job unwinds, its temporary
// file is removed (io/atomic_file.hpp), and the KeyboardInterrupt is raised
// once it has. Errors become respace.errors' classes, one per exit code.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <nifti/nifti2_io.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <future>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/job.hpp"
#include "cli/json_report.hpp"
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "io/atomic_file.hpp"
#include "io/error.hpp"

namespace py = pybind11;

namespace respace {
namespace {

constexpr std::chrono::milliseconds kPoll{50};

struct Cancelled {};  // thrown by the watched input when Ctrl-C was seen

// Counts the bytes the job takes from its input and stops it when asked.
class Watch final : public SourceWatch {
public:
  std::unique_ptr<ByteSource> watch(std::unique_ptr<ByteSource> in) override {
    auto s = watched_source(
        std::move(in), [this](const unsigned char*, std::size_t n) { done.fetch_add(n, std::memory_order_relaxed); },
        [this](std::size_t) {
          if (cancel.load(std::memory_order_relaxed)) throw Cancelled{};
        });
    if (bar) return bar->watch(std::move(s));
    return s;
  }
  std::atomic<bool> cancel{false};
  std::atomic<std::uint64_t> done{0};
  Progress* bar = nullptr;  // the command line's bar, chained
};

[[noreturn]] void raise_error(const Error& e) {
  py::object errors = py::module_::import("respace.errors");
  py::object cls = errors.attr("error_class")(static_cast<int>(e.code()));
  PyErr_SetObject(cls.ptr(), py::make_tuple(std::string(e.what()), static_cast<int>(e.code())).ptr());
  throw py::error_already_set();
}

ParseResult parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"respace"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

Options job_options(const std::vector<std::string>& args) {
  ParseResult r = parse(args);
  if (r.print_and_exit) throw Error(ExitCode::usage, "--help and --version are not options of a job");
  if (r.options.output_dir || r.options.manifest)
    throw Error(ExitCode::usage, "batches (--output-dir, --manifest) are for the command line; call resample() per file");
  return r.options;
}

// Runs `job` on its own thread, polling for Ctrl-C and reporting progress
// from this one; rethrows what the job threw.
template <class Job>
auto run_watched(Job job, Watch& watch, std::uint64_t total, const py::object& progress) {
  using R = decltype(job());
  std::packaged_task<R()> task([&] { return job(); });
  std::future<R> result = task.get_future();
  std::thread worker(std::move(task));
  std::optional<py::error_already_set> interrupt;  // what Ctrl-C raised (KeyboardInterrupt)
  for (;;) {
    {
      py::gil_scoped_release unlocked;
      if (result.wait_for(kPoll) == std::future_status::ready) break;
    }
    if (interrupt) continue;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!progress.is_none()) progress(watch.done.load(), total);
    } catch (py::error_already_set& e) {  // Ctrl-C, or the callback raised: stop the job
      interrupt.emplace(std::move(e));
      watch.cancel = true;  // the job unwinds at its next read
    }
  }
  worker.join();
  if (interrupt) {
    try {
      result.get();
    } catch (...) {  // the job's unwinding (Cancelled) or a failure meanwhile
    }
    throw *interrupt;
  }
  try {
    R r = result.get();
    if (!progress.is_none()) progress(total, total);
    return r;
  } catch (const Error& e) {
    raise_error(e);
  } catch (const Cancelled&) {
    throw Error(ExitCode::internal, "cancelled");
  }
}

std::string run(const std::vector<std::string>& args, const py::object& progress, bool bar) {
  Options o;
  std::unique_ptr<JobPlan> p;
  try {
    o = job_options(args);
    p = std::make_unique<JobPlan>(plan_job(o));
  } catch (const Error& e) {
    raise_error(e);
  }
  nlohmann::json j = plan_json(*p, o);
  if (o.dry_run) return j.dump();
  Watch watch;
  std::unique_ptr<Progress> line;
  if (bar) {
    line = std::make_unique<Progress>(base_of(o.input), p->input.data_bytes());
    watch.bar = line.get();
  }
  JobResult r = run_watched([&] { return run_job(*p, &watch); }, watch, p->input.data_bytes(), progress);
  if (line) line->done();
  add_result_json(j, *p, r, o.compare);
  return j.dump();
}

std::string plan(const std::vector<std::string>& args) {
  try {
    Options o = job_options(args);
    o.dry_run = true;
    return plan_json(plan_job(o), o).dump();
  } catch (const Error& e) {
    raise_error(e);
  }
}

// A NIfTI-1 pair header (.hdr, no extensions) for an array of `dims` (1 to 3
// of them) of NIfTI `datatype` with the affine `a` (rows): sform and qform
// (its rotation; pixdim its column lengths), both code 2 (aligned).
void write_array_header(const std::string& path, const std::vector<std::int64_t>& dims, int datatype,
                        const std::vector<std::vector<double>>& a) {
  if (dims.empty() || dims.size() > 3 || a.size() != 4) throw std::invalid_argument("array_header: bad dims or affine");
  nifti_1_header h{};
  h.sizeof_hdr = 348;
  h.dim[0] = static_cast<short>(std::max<std::size_t>(dims.size(), 2));
  for (int d = 1; d <= 7; ++d) h.dim[d] = 1;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] < 1 || dims[d] > 32767) throw Error(ExitCode::usage, "arrays of more than 32767 voxels along an axis go through files");
    h.dim[d + 1] = static_cast<short>(dims[d]);
  }
  h.datatype = static_cast<short>(datatype);
  int nbyper = 0, swapsize = 0;
  nifti_datatype_sizes(datatype, &nbyper, &swapsize);
  h.bitpix = static_cast<short>(8 * nbyper);
  nifti_dmat44 m;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) m.m[r][c] = a[static_cast<std::size_t>(r)].at(static_cast<std::size_t>(c));
  double qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac;
  nifti_dmat44_to_quatern(m, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac);
  h.pixdim[0] = static_cast<float>(qfac);
  h.pixdim[1] = static_cast<float>(dx);
  h.pixdim[2] = static_cast<float>(dy);
  h.pixdim[3] = static_cast<float>(dz);
  h.quatern_b = static_cast<float>(qb);
  h.quatern_c = static_cast<float>(qc);
  h.quatern_d = static_cast<float>(qd);
  h.qoffset_x = static_cast<float>(qx);
  h.qoffset_y = static_cast<float>(qy);
  h.qoffset_z = static_cast<float>(qz);
  for (int c = 0; c < 4; ++c) {
    h.srow_x[c] = static_cast<float>(m.m[0][c]);
    h.srow_y[c] = static_cast<float>(m.m[1][c]);
    h.srow_z[c] = static_cast<float>(m.m[2][c]);
  }
  h.qform_code = h.sform_code = 2;
  h.xyzt_units = NIFTI_UNITS_MM;
  h.vox_offset = 0;
  std::memcpy(h.magic, "ni1\0", 4);
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(&h), sizeof h);
  const char extender[4] = {0, 0, 0, 0};
  f.write(extender, 4);
  if (!f) throw Error(ExitCode::bad_output, path + ": cannot write the array's header");
}

void array_header(const std::string& path, const std::vector<std::int64_t>& dims, int datatype,
                  const std::vector<std::vector<double>>& a) {
  try {
    write_array_header(path, dims, datatype, a);
  } catch (const Error& e) {
    raise_error(e);
  }
}

// The job on an array: its bytes (`in`) as the header file describes them.
std::unique_ptr<JobPlan> plan_memory(const std::vector<std::string>& args, const std::string& header,
                                     const py::buffer_info& in, Options& o) {
  try {
    o = job_options(args);
    o.input = header;
    return std::make_unique<JobPlan>(plan_job(
        o, InputVolume::open_memory(header, static_cast<const unsigned char*>(in.ptr),
                                    static_cast<std::uint64_t>(in.size) * static_cast<std::uint64_t>(in.itemsize))));
  } catch (const Error& e) {
    raise_error(e);
  }
}

std::string plan_array(const std::vector<std::string>& args, const std::string& header, const py::buffer& data) {
  const py::buffer_info in_info = data.request();
  Options o;
  std::unique_ptr<JobPlan> p = plan_memory(args, header, in_info, o);
  return plan_json(*p, o).dump();
}

py::tuple run_array(const std::vector<std::string>& args, const std::string& header, const py::buffer& data,
                    const py::buffer& out, const py::object& progress) {
  const py::buffer_info in_info = data.request();
  const py::buffer_info out_info = out.request(true);
  Options o;
  std::unique_ptr<JobPlan> p = plan_memory(args, header, in_info, o);
  const auto out_bytes = static_cast<std::uint64_t>(out_info.size) * static_cast<std::uint64_t>(out_info.itemsize);
  if (out_bytes != output_data_bytes(*p))
    throw std::invalid_argument("run_array: the output array has " + std::to_string(out_bytes) + " bytes, the job writes " +
                                std::to_string(output_data_bytes(*p)));
  nlohmann::json j = plan_json(*p, o);
  Watch watch;
  const MemoryOutput memory{static_cast<unsigned char*>(out_info.ptr), out_bytes};
  JobResult r = run_watched([&] { return run_job(*p, &watch, &memory); }, watch, p->input.data_bytes(), progress);
  add_result_json(j, *p, r, o.compare);
  const SerializedHeader h = output_header(*p);
  return py::make_tuple(j.dump(), py::bytes(reinterpret_cast<const char*>(h.bytes.data()), h.bytes.size()));
}

}  // namespace
}  // namespace respace

PYBIND11_MODULE(_core, m) {
  m.doc() = "respace's C++ jobs (use the respace package, not this module)";
  m.def("run", &respace::run, py::arg("args"), py::arg("progress") = py::none(), py::arg("bar") = false);
  m.def("plan", &respace::plan, py::arg("args"));
  m.def("array_header", &respace::array_header, py::arg("path"), py::arg("dims"), py::arg("datatype"),
        py::arg("affine"));
  m.def("plan_array", &respace::plan_array, py::arg("args"), py::arg("header"), py::arg("data"));
  m.def("run_array", &respace::run_array, py::arg("args"), py::arg("header"), py::arg("data"), py::arg("out"),
        py::arg("progress") = py::none());
  m.attr("version") = RESPACE_VERSION;
}
