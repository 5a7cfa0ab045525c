// SPDX-License-Identifier: MIT
#include "cli/batch.hpp"

#include <sys/stat.h>

#include <iostream>
#include <map>
#include <vector>

#include "cli/job.hpp"
#include "cli/json_report.hpp"
#include "cli/manifest.hpp"
#include "cli/progress.hpp"
#include "cli/report.hpp"
#include "io/atomic_file.hpp"
#include "io/error.hpp"
#include "io/nifti_output.hpp"

namespace respace {
namespace {

// Runs the planned job, with a progress bar when one is wanted; the bar is
// ended (or cleared, on a throw) before this returns.
JobResult run_planned(const JobPlan& plan, const Options& o, const std::string& label) {
  if (!progress_wanted(o)) return run_job(plan);
  // A windowed part reads its input planes alone.
  const std::uint64_t bytes = plan.part && plan.part->windowed
                                  ? static_cast<std::uint64_t>(plan.part->input_planes) * plan.input.plane_bytes()
                                  : plan.input.data_bytes();
  Progress progress(label, bytes);
  JobResult result = run_job(plan, &progress);
  progress.done();
  return result;
}

// One job: plan, run, report. Returns its exit code; errors are reported
// here. `label` prefixes its progress bar ("[3/5] brain.nii.gz" in a batch).
int run_one(const Options& o, const std::string& label) {
  try {
    if (o.skip_existing) {
      const OutputNames names = output_names(o.output);
      if (path_exists(names.header) && path_exists(names.image)) {
        if (o.json) std::cout << nlohmann::json{{"input", {{"path", o.input}}}, {"output", {{"path", o.output}}}, {"skipped", true}}.dump() << "\n";
        else if (!o.quiet) std::cout << "Skipped: " << o.output << " exists\n";
        return 0;
      }
    }
    JobPlan plan = plan_job(o);
    if (!plan.warning.empty()) std::cerr << "respace: warning: " << plan.warning << "\n";
    for (const std::string& t : plan.stale)
      std::cerr << "respace: warning: " << t << ": a temporary file left by a respace run that was killed "
                                                "(its process is gone); remove it unless a run on another "
                                                "machine is writing into this folder\n";
    if (o.json) {
      nlohmann::json j = plan_json(plan, o);
      if (!o.dry_run) add_result_json(j, plan, run_planned(plan, o, label), o.compare);
      std::cout << j.dump() << "\n" << std::flush;
      return 0;
    }
    if (!o.quiet || o.dry_run) print_plan(std::cout, plan, o);
    if (o.dry_run) return 0;
    std::cout << std::flush;  // the plan comes before the bar
    JobResult result = run_planned(plan, o, label);
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

std::vector<JobSpec> output_dir_jobs(const Options& o) {
  if (!path_exists(*o.output_dir))
    throw Error(ExitCode::bad_output, *o.output_dir + ": the output folder does not exist");
  std::vector<JobSpec> jobs;
  std::map<std::string, std::string> writer;  // output name -> the input that writes it
  for (const std::string& in : o.inputs) {
    JobSpec job{o, ""};
    job.options.input = in;
    job.options.output = batch_output_name(in, *o.output_dir, o.suffix);
    const auto [at, fresh] = writer.emplace(job.options.output, in);
    if (!fresh)
      throw Error(ExitCode::usage, at->second + " and " + in + " would write the same output " +
                                       job.options.output + "; give them different names or run them in two calls");
    jobs.push_back(std::move(job));
  }
  return jobs;
}

}  // namespace

std::string batch_output_name(const std::string& input, const std::string& dir, const std::string& suffix) {
  std::string base = base_of(input);
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
  if (!o.output_dir && !o.manifest) return run_one(o, "");
  // Every job is known (and, from a manifest, every line checked) before the first runs.
  const std::vector<JobSpec> jobs = o.manifest ? read_manifest(o) : output_dir_jobs(o);
  int first_failure = 0;
  std::vector<std::string> failed;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const Options& job = jobs[i].options;
    const std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(jobs.size()) + "] " + base_of(job.input);
    const int code = run_one(job, label);
    if (code == 0) continue;
    if (!o.keep_going) return code;
    if (first_failure == 0) first_failure = code;
    failed.push_back((jobs[i].where.empty() ? "" : jobs[i].where + " ") + job.input + " (exit " + std::to_string(code) + ")");
  }
  if (o.keep_going && !failed.empty()) {
    std::cerr << "respace: " << failed.size() << " of " << jobs.size() << (o.manifest ? " jobs" : " inputs")
              << " failed:";
    for (const std::string& f : failed) std::cerr << " " << f;
    std::cerr << "\n";
  }
  return first_failure;
}

}  // namespace respace
