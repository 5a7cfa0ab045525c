// SPDX-License-Identifier: MIT
#include "cli/batch.hpp"

#include <sys/stat.h>

#include <iostream>
#include <vector>

#include <oneapi/tbb/global_control.h>

#include "cli/job.hpp"
#include "cli/json_report.hpp"
#include "cli/report.hpp"
#include "io/error.hpp"
#include "io/nifti_output.hpp"

namespace respace {
namespace {

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

// One job: plan, run, report. Returns its exit code; errors are reported here.
int run_one(const Options& o) {
  try {
    if (o.skip_existing) {
      const OutputNames names = output_names(o.output);
      if (exists(names.header) && exists(names.image)) {
        if (o.json) std::cout << nlohmann::json{{"input", {{"path", o.input}}}, {"output", {{"path", o.output}}}, {"skipped", true}}.dump() << "\n";
        else if (!o.quiet) std::cout << "Skipped: " << o.output << " exists\n";
        return 0;
      }
    }
    JobPlan plan = plan_job(o);
    if (!plan.warning.empty()) std::cerr << "respace: warning: " << plan.warning << "\n";
    if (o.json) {
      nlohmann::json j = plan_json(plan, o);
      if (!o.dry_run) {
        oneapi::tbb::global_control threads(oneapi::tbb::global_control::max_allowed_parallelism,
                                            static_cast<std::size_t>(plan.memory.threads));
        add_result_json(j, plan, run_job(plan), o.compare);
      }
      std::cout << j.dump() << "\n" << std::flush;
      return 0;
    }
    if (!o.quiet || o.dry_run) print_plan(std::cout, plan, o);
    if (o.dry_run) return 0;
    oneapi::tbb::global_control threads(oneapi::tbb::global_control::max_allowed_parallelism,
                                        static_cast<std::size_t>(plan.memory.threads));
    JobResult result = run_job(plan);
    if (!o.quiet) print_result(std::cout, plan, result, o.compare);
    std::cout << std::flush;
    return 0;
  } catch (const Error& e) {
    std::cerr << "respace: " << e.what() << "\n";
    if (o.json) std::cout << error_json(o, e).dump() << "\n" << std::flush;
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    std::cerr << "respace: " << o.input << ": out of memory\n";
    return static_cast<int>(ExitCode::memory_limit);
  }
}

}  // namespace

std::string batch_output_name(const std::string& input, const std::string& dir, const std::string& suffix) {
  std::string base = input.substr(input.rfind('/') == std::string::npos ? 0 : input.rfind('/') + 1);
  std::string ext;
  for (const char* e : {".nii.gz", ".hdr.gz", ".img.gz", ".nii", ".hdr", ".img"})
    if (ends_with(base, e)) {
      ext = e;
      break;
    }
  if (ext.empty()) ext = ".nii.gz";  // an input without a NIfTI extension: write .nii.gz
  else base.resize(base.size() - ext.size());
  if (ext == ".img") ext = ".hdr";
  if (ext == ".img.gz") ext = ".hdr.gz";
  return (dir.empty() ? std::string(".") : dir) + "/" + base + suffix + ext;
}

int run_jobs(const Options& o) {
  if (!o.output_dir) return run_one(o);
  if (!exists(*o.output_dir))
    throw Error(ExitCode::bad_output, *o.output_dir + ": the output folder does not exist");
  int first_failure = 0;
  std::vector<std::string> failed;
  for (const std::string& in : o.inputs) {
    Options job = o;
    job.input = in;
    job.output = batch_output_name(in, *o.output_dir, o.suffix);
    const int code = run_one(job);
    if (code == 0) continue;
    if (!o.keep_going) return code;
    if (first_failure == 0) first_failure = code;
    failed.push_back(in + " (exit " + std::to_string(code) + ")");
  }
  if (o.keep_going && !failed.empty()) {
    std::cerr << "respace: " << failed.size() << " of " << o.inputs.size() << " inputs failed:";
    for (const std::string& f : failed) std::cerr << " " << f;
    std::cerr << "\n";
  }
  return first_failure;
}

}  // namespace respace
