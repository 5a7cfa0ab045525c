// SPDX-License-Identifier: MIT
// --json: the run report as one JSON object on stdout (nlohmann::json from
// Debian's nlohmann-json3-dev), for scripts and jq. Fields: input, output,
// plan (dims, spacing, affine, grid, origin shift, interpolation, memory),
// and, after a run, timings, bytes, peak memory and, with --compare, the
// statistics; on failure, error {code, message}.
#pragma once

#include <nlohmann/json.hpp>

#include "cli/job.hpp"
#include "io/error.hpp"

namespace respace {

nlohmann::json plan_json(const JobPlan& plan, const Options& o);
void add_result_json(nlohmann::json& j, const JobPlan& plan, const JobResult& r, bool compare);
nlohmann::json error_json(const Options& o, const Error& e);

}  // namespace respace
