// SPDX-License-Identifier: MIT
#include "cli/json_report.hpp"

#include "cli/part_job.hpp"

#include "cli/kernel_table.hpp"
#include "cli/report.hpp"
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

// The plan's memory account, whatever the path.
nlohmann::json memory_json(const MemoryAccount& m) {
  nlohmann::json j = {{"limit_bytes", m.limit}, {"planned_bytes", m.planned}, {"limit_raised", m.raised}};
  for (const ShapeItem& s : m.shape) j[s.name] = s.value;
  nlohmann::json buffers = nlohmann::json::array();
  for (const MemoryItem& it : m.items) buffers.push_back({{"name", it.name}, {"count", it.count}, {"bytes", it.bytes}});
  j["buffers"] = buffers;
  return j;
}

}  // namespace

nlohmann::json plan_json(const JobPlan& p, const Options& o) {
  const ResamplePlan& rp = p.resample;
  const GridPlan& g = rp.setup.grid;
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
                 {"nifti_version", p.output_version}, {"gzip", p.names.gzip}, {"exists", p.output_exists}};
  if (p.names.gzip) j["output"]["compression"] = {{"engine", to_string(p.engine)}, {"level", p.level}};
  j["plan"] = {{"dims_in", dims_in},
               {"dims_out", dims_out},
               {"spacing_in_mm", spacing_in},
               {"spacing_out_mm", spacing_out},
               {"affine_out", matrix(g.primary_out)},
               {"grid", to_string(g.policy)},
               {"origin_shift_mm", shift},
               {"kernel", rp.setup.kernel->name()},
               {"boundary", to_string(rp.setup.boundary)},
               {"fill", rp.setup.fill},
               {"memory", memory_json(rp.memory)}};
  if (order_of(*rp.setup.kernel) >= 0) j["plan"]["order"] = order_of(*rp.setup.kernel);
  j["plan"]["path"] = to_string(rp.path);
  if (rp.setup.labels) j["plan"]["labels"] = {{"why", p.labels_why}};
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
  if (rp.path == ResamplePath::general) {  // where the sampling stage reads the coefficients from
    const GeneralMemory& gm = rp.general_memory;
    j["plan"]["general_input"] = gm.ring ? "ring" : "temp_file";
    j["plan"]["general_input_reason"] = gm.source_why;
    if (!gm.ring)
      j["plan"]["temp_file"] = {{"dir", rp.general.temp_dir}, {"bytes_per_volume", gm.coefficient_file_bytes}};
  }
  if (const std::optional<Prefilter> f = rp.setup.kernel->prefilter()) j["plan"]["halo"] = f->halo;
  nlohmann::json axes = nlohmann::json::array();
  for (const AxisFilter& f : rp.setup.filter) {
    nlohmann::json a = {{"k", f.k}, {"filter", to_string(f.kind)}};
    if (f.kind == AxisFilter::Kind::gauss) a["sigma"] = f.sigma, a["radius"] = f.radius;
    if (f.kind == AxisFilter::Kind::box) a["width"] = f.k;
    axes.push_back(a);
  }
  j["plan"]["antialias"] = {{"mode", to_string(p.settings.antialias)},
                            {"along", rp.path == ResamplePath::general ? "input_axes" : "output_axes"},
                            {"axes", axes}};
  const Settings& st = p.settings;
  j["plan"]["convention"] = {{"name", to_string(st.convention)},
                             {"fov", to_string(st.fov)},
                             {"size_rounding", to_string(st.size_rounding)},
                             {"int_rounding", to_string(st.int_rounding)},
                             {"header_spacing", to_string(st.header_spacing)}};
  nlohmann::json zoom = nlohmann::json::array(), sampled = nlohmann::json::array();
  for (int k = 0; k < 3; ++k) {
    const AxisMap& a = g.axis[k];
    zoom.push_back(a.spacing_in / target_spacing(g, o, k));
    sampled.push_back(a.spacing_out);
  }
  j["plan"]["zoom_factor"] = zoom;  // old / new spacing, as resample_nifti.py prints it
  if (g.header_requested) {
    nlohmann::json off = nlohmann::json::array();
    for (double d : g.header_offset_mm) off.push_back(d);
    j["plan"]["header"] = {{"spacing", "requested"}, {"sampled_spacing_mm", sampled}, {"last_voxel_offset_mm", off}};
  }
  if (p.xform_disagreement_mm >= 0) j["input"]["qform_sform_disagreement_mm"] = p.xform_disagreement_mm;
  if (p.xform_source) j["plan"]["xform_source"] = *p.xform_source == XformSource::sform ? "sform" : "qform";
  if (!p.warning.empty()) j["warning"] = p.warning;
  if (p.part) j["part"] = part_json(p);
  return j;
}

void add_result_json(nlohmann::json& j, const JobPlan& p, const JobResult& r, bool compare) {
  j["seconds"] = r.seconds;
  j["cpu_seconds"] = r.cpu_seconds;
  if (r.part) j["part_result"] = part_result_json(p, r);
  j["bytes_read"] = r.bytes_read;
  j["bytes_written"] = r.bytes_written;
  j["peak_rss_bytes"] = r.peak_rss;
  if (const auto& ls = r.stats.labels) {
    // Each label's volume in mm3, in and out; IDs as exact JSON numbers.
    const GridPlan& g = p.resample.setup.grid;
    double in_voxel = 1, out_voxel = 1;
    for (int k = 0; k < 3; ++k) {
      in_voxel *= g.axis[k].spacing_in;
      out_voxel *= column_norm(g.primary_out, k);
    }
    nlohmann::json volumes = nlohmann::json::array(), lost = nlohmann::json::array();
    std::size_t in = 0, out = 0;
    for (const LabelCount& c : ls->labels) {
      const nlohmann::json id = nlohmann::json::parse(c.label);
      volumes.push_back({{"label", id}, {"in", static_cast<double>(c.in) * in_voxel},
                         {"out", static_cast<double>(c.out) * out_voxel}});
      in += c.in > 0;
      out += c.out > 0;
      if (c.in > 0 && c.out == 0) lost.push_back(id);
    }
    j["labels"] = {{"in", in}, {"out", out}, {"lost", lost}, {"complete", ls->complete}, {"volume_mm3", volumes}};
  }
  if (const auto& q = r.qc) {
    nlohmann::json panels = nlohmann::json::array();
    for (const QcPanel& pn : q->panels)
      panels.push_back({{"name", pn.name}, {"x", pn.x}, {"y", pn.y}, {"w", pn.w}, {"h", pn.h}, {"across", pn.a},
                        {"up", pn.b}, {"spacing_mm", {pn.sa, pn.sb}}, {"index", pn.index}});
    j["qc"] = {{"path", q->path}, {"width", q->width}, {"height", q->height}, {"mm_per_pixel", q->mm_per_pixel},
               {"window", {q->lo, q->hi}}, {"labels", q->labels}, {"panels", panels}};
  }
  if (const auto& tf = r.stats.temp_file) j["temp_file"] = {{"path", tf->path}, {"bytes", tf->bytes}, {"removed", tf->removed}};
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
