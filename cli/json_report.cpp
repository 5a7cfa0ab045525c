// SPDX-License-Identifier: MIT
#include "cli/json_report.hpp"

#include "engine/bspline.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace {

nlohmann::json matrix(const Mat4& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : m) rows.push_back({r[0], r[1], r[2], r[3]});
  return rows;
}

nlohmann::json stats_json(const ValueStats& s) {
  return {{"count", s.count}, {"min", s.min}, {"max", s.max}, {"mean", s.mean}, {"std", s.std_dev()}};
}

}  // namespace

nlohmann::json plan_json(const JobPlan& p, const Options& o) {
  const GridPlan& g = p.setup.grid;
  nlohmann::json dims_in = nlohmann::json::array(), dims_out = nlohmann::json::array(),
                 spacing_in = nlohmann::json::array(), spacing_out = nlohmann::json::array(),
                 shift = nlohmann::json::array();
  for (int k = 0; k < 3; ++k) {
    dims_in.push_back(g.axis[k].n);
    dims_out.push_back(g.axis[k].m);
    spacing_in.push_back(g.axis[k].spacing_in);
    spacing_out.push_back(column_norm(g.primary_out, k));
    shift.push_back(g.origin_shift_mm[k]);
  }
  nlohmann::json j;
  j["input"] = {{"path", p.input.path()}, {"datatype", datatype_name(p.input.datatype())},
                {"nifti_version", p.input.nifti_version()}, {"volumes", p.input.volumes()}};
  j["output"] = {{"path", o.output}, {"datatype", datatype_name(p.output_datatype)},
                 {"nifti_version", p.output_version}, {"gzip", p.names.gzip}};
  if (p.names.gzip) j["output"]["compression"] = {{"engine", to_string(p.engine)}, {"level", p.level}};
  j["plan"] = {{"dims_in", dims_in},
               {"dims_out", dims_out},
               {"spacing_in_mm", spacing_in},
               {"spacing_out_mm", spacing_out},
               {"affine_out", matrix(g.primary_out)},
               {"grid", to_string(g.policy)},
               {"origin_shift_mm", shift},
               {"order", static_cast<int>(p.setup.order)},
               {"boundary", to_string(p.setup.boundary)},
               {"fill", p.setup.fill},
               {"memory", {{"limit_bytes", p.memory.limit},
                           {"planned_bytes", p.memory.total() + kProcessReserve},
                           {"threads", p.memory.threads},
                           {"tokens", p.memory.tokens},
                           {"block_planes", p.memory.block}}}};
  j["plan"]["path"] = p.target.separable ? "separable" : "general";
  j["plan"]["path_reason"] = p.target.why;
  j["plan"]["voxel_map"] = matrix(stored_voxel_map(p));
  if (p.crop) {
    nlohmann::json first = nlohmann::json::array(), size = nlohmann::json::array();
    for (int k = 0; k < 3; ++k) {
      first.push_back(p.crop->first[k]);
      size.push_back(p.crop->size[k]);
    }
    j["plan"]["crop"] = {{"first", first}, {"size", size}};
  }
  if (p.like) j["plan"]["like"] = p.like->path();
  if (!p.target.separable) {
    const GeneralMemory& gm = p.general_memory;
    j["plan"]["memory"] = {{"limit_bytes", gm.limit},
                           {"planned_bytes", gm.total() + kProcessReserve},
                           {"threads", gm.threads},
                           {"block_planes", gm.block},
                           {"tile", gm.tile},
                           {"coefficient_pass_bytes", gm.coefficients.total()},
                           {"ring_planes", gm.ring ? gm.ring_planes : 0},
                           {"ring_bytes", gm.ring ? gm.ring_bytes : 0},
                           {"mapped_bytes", gm.ring ? 0 : gm.mapped_bytes}};
    j["plan"]["general_input"] = gm.ring ? "ring" : "temp_file";
    j["plan"]["general_input_reason"] = gm.source_why;
    if (!gm.ring)
      j["plan"]["temp_file"] = {{"dir", p.general.temp_dir}, {"bytes_per_volume", gm.coefficient_file_bytes}};
  }
  if (p.setup.order >= Order::quadratic) j["plan"]["halo"] = spline_halo(static_cast<int>(p.setup.order));
  if (!p.warning.empty()) j["warning"] = p.warning;
  return j;
}

void add_result_json(nlohmann::json& j, const JobPlan& p, const JobResult& r, bool compare) {
  j["seconds"] = r.seconds;
  j["bytes_read"] = r.bytes_read;
  j["bytes_written"] = r.bytes_written;
  j["peak_rss_bytes"] = r.peak_rss;
  if (!r.stats.temp_file.empty())
    j["temp_file"] = {{"path", r.stats.temp_file}, {"bytes", r.stats.temp_file_bytes}, {"removed", r.stats.temp_file_removed}};
  if (compare) {
    const nifti_image& h = p.input.header();
    j["compare"] = {{"input", stats_json(r.stats.input.scaled(h.scl_slope, h.scl_inter))},
                    {"output", stats_json(r.stats.output.scaled(h.scl_slope, h.scl_inter))}};
  }
}

nlohmann::json error_json(const Options& o, const Error& e) {
  return {{"input", {{"path", o.input}}},
          {"output", {{"path", o.output}}},
          {"error", {{"code", static_cast<int>(e.code())}, {"message", e.what()}}}};
}

}  // namespace respace
