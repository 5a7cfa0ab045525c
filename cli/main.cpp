// SPDX-License-Identifier: MIT
// respace: resample a NIfTI volume to a new spacing in bounded memory.
// main() only parses and hands the jobs to run_jobs() (cli/batch.cpp; each
// job's run_job() sets the planned thread count with oneTBB's
// global_control); an Error that escapes becomes one line on stderr and its
// exit code.
#include <iostream>
#include <string>

#include "cli/batch.hpp"
#include "cli/index_cmd.hpp"
#include "cli/join.hpp"
#include "cli/json_report.hpp"
#include "io/atomic_file.hpp"
#include "io/error.hpp"

int main(int argc, char** argv) {
  using namespace respace;
  install_cleanup_signal_handlers();
  Options o;  // what was parsed so far, for the JSON error object
  // --json anywhere: even an error in the options themselves is answered
  // with the JSON error object.
  for (int i = 1; i < argc; ++i) o.json = o.json || std::string(argv[i]) == "--json";
  try {
    // Subcommands: respace join OUTPUT PART... (cli/join.hpp), respace index
    // INPUT (cli/index_cmd.hpp).
    if (argc > 1 && std::string(argv[1]) == "join") return run_join(argc, argv);
    if (argc > 1 && std::string(argv[1]) == "index") return run_index(argc, argv);
    ParseResult parsed = parse_options(argc, argv);
    if (parsed.print_and_exit) {
      std::cout << *parsed.print_and_exit;
      return 0;
    }
    o = parsed.options;
    return run_jobs(o);
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
