// SPDX-License-Identifier: MIT
// A job run as part K of N (--part, cli/part.hpp): which output planes it
// computes and which input planes it reads (plan_part), and its run into a
// part file (run_part).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <ostream>

#include "cli/job.hpp"
#include "engine/planner.hpp"

namespace respace {

// Fills p.part from the planned job: the part's stream range, the output
// planes that hold it and, on the separable path of a 3-D volume, a plan of
// those planes alone (re-planned from `req` with a z window). Other paths
// compute every plane and keep their range (the same bytes, at the whole
// job's cost). Throws Error(usage) for what a part cannot be.
void plan_part(JobPlan& p, const Options& o, ResampleRequest& req);

// The report's lines on the part (with `all`, the --dry-run table of every
// part's ranges) and its --json object.
void print_part(std::ostream& os, const JobPlan& p, bool all);
void print_part_result(std::ostream& os, const JobPlan& p, const JobResult& r);
nlohmann::json part_json(const JobPlan& p);
nlohmann::json part_result_json(const JobPlan& p, const JobResult& r);

// Runs a planned part into its part file (written atomically).
JobResult run_part(const JobPlan& p, SourceWatch* watch, std::chrono::steady_clock::time_point t0);

}  // namespace respace
