// SPDX-License-Identifier: MIT
// respace: resample a NIfTI volume to a new spacing in bounded memory.
// main() only orchestrates: parse, plan, run, report; it is the one place
// that sets the thread count (oneTBB global_control) and turns an Error into
// one line on stderr and its exit code.
#include <oneapi/tbb/global_control.h>

#include <iostream>

#include "cli/job.hpp"
#include "cli/json_report.hpp"
#include "cli/report.hpp"
#include "io/atomic_file.hpp"
#include "io/error.hpp"

int main(int argc, char** argv) {
  using namespace respace;
  install_cleanup_signal_handlers();
  Options o;  // what was parsed so far, for the JSON error object
  try {
    ParseResult parsed = parse_options(argc, argv);
    if (parsed.print_and_exit) {
      std::cout << *parsed.print_and_exit;
      return 0;
    }
    o = parsed.options;
    JobPlan plan = plan_job(o);
    if (!plan.warning.empty()) std::cerr << "respace: warning: " << plan.warning << "\n";
    if (o.json) {
      nlohmann::json j = plan_json(plan, o);
      if (!o.dry_run) {
        oneapi::tbb::global_control threads(oneapi::tbb::global_control::max_allowed_parallelism,
                                            static_cast<std::size_t>(plan.memory.threads));
        add_result_json(j, plan, run_job(plan), o.compare);
      }
      std::cout << j.dump() << "\n";
      return 0;
    }
    if (!o.quiet || o.dry_run) print_plan(std::cout, plan, o);
    if (o.dry_run) return 0;
    oneapi::tbb::global_control threads(oneapi::tbb::global_control::max_allowed_parallelism,
                                        static_cast<std::size_t>(plan.memory.threads));
    JobResult result = run_job(plan);
    if (!o.quiet) print_result(std::cout, plan, result, o.compare);
    return 0;
  } catch (const Error& e) {
    std::cerr << "respace: " << e.what() << "\n";
    if (o.json) std::cout << error_json(o, e).dump() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    std::cerr << "respace: out of memory\n";
    return static_cast<int>(ExitCode::memory_limit);
  } catch (const std::exception& e) {
    std::cerr << "respace: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::internal);
  }
}
