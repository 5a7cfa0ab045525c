// SPDX-License-Identifier: MIT
#include "cli/report.hpp"

#include "cli/part_job.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "engine/bspline.hpp"
#include "io/byte_size.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string triple(double x, double y, double z, const char* f = "%.6g") {
  return fmt(f, x) + " x " + fmt(f, y) + " x " + fmt(f, z);
}

std::string mm_um(double x, double y, double z) {
  return triple(x, y, z) + " mm  (" + triple(x * 1000, y * 1000, z * 1000, "%.4g") + " um)";
}

std::string axes_values(const std::array<std::optional<double>, 3>& v) {
  std::string s;
  for (int k = 0; k < 3; ++k)
    if (v[static_cast<std::size_t>(k)])
      s += (s.empty() ? "" : ", ") + std::string(1, "xyz"[k]) + "=" + fmt("%.6g", *v[static_cast<std::size_t>(k)]);
  return s;
}

// The change asked for, as resample_nifti.py prints it ("z=0.15"), and how.
std::string requested(const JobPlan& p, const Options& o) {
  std::string s;
  if (o.grid.any_spacing()) s = "spacing " + axes_values(o.grid.spacing) + " mm";
  if (o.grid.size) {
    const auto& n = *o.grid.size;
    s += (s.empty() ? "" : ", ") + std::string("size ") + std::to_string(n[0]) + " x " + std::to_string(n[1]) +
         " x " + std::to_string(n[2]);
  }
  if (p.like) s += (s.empty() ? "" : ", ") + std::string("the grid of ") + p.like->path() + " (--like)";
  if (o.affine) s += (s.empty() ? "" : ", ") + std::string("content moved by ") + *o.affine + " (--affine)";
  if (o.flirt) s += (s.empty() ? "" : ", ") + std::string("content moved by ") + *o.flirt + " (--flirt)";
  if (p.crop) s += (s.empty() ? "" : ", ") + std::string("a crop of the input (--crop)");
  return s.empty() ? "nothing" : s;
}

// The output grid, named as it was given.
std::string grid_named(const JobPlan& p, const Options& o) {
  if (p.like) return "like " + p.like->path();
  const GridPlan& g = p.resample.setup.grid;
  std::string s = to_string(g.policy);
  s += o.grid.policy ? " (--grid)" : p.settings.grid ? " (--convention " + std::string(to_string(p.settings.convention)) + ")" : " (default)";
  if (o.affine || o.flirt) s += ", content moved by " + *(o.affine ? o.affine : o.flirt);
  if (p.crop) s += ", of the crop";
  return s;
}

const char* direction(const AxisMap& a) {
  if (a.m == a.n && a.r == 1.0) return "no change";
  return a.spacing_out < a.spacing_in ? "up" : "down";
}

// Names are JSON keys ("block_planes"): spaces for the text.
std::string words(std::string name) {
  for (char& c : name)
    if (c == '_') c = ' ';
  return name;
}

// The plan's memory account, whatever the path: the limit, what is planned,
// the shape, then every buffer.
void print_memory(std::ostream& os, const MemoryAccount& m) {
  os << "Memory:  limit " << format_bytes(m.limit) << (m.raised ? " (default raised to fit)" : "") << ", planned "
     << format_bytes(m.planned) << ";";
  for (std::size_t i = 0; i < m.shape.size(); ++i)
    os << (i ? ", " : " ") << words(m.shape[i].name) << " " << m.shape[i].value;
  os << "\n";
  std::string line = "  buffers        ";
  for (std::size_t i = 0; i < m.items.size(); ++i) {
    const MemoryItem& it = m.items[i];
    std::string entry = it.name + (it.count ? " " + std::to_string(it.count) : std::string()) + " (" +
                        format_bytes(it.bytes) + ")" + (i + 1 < m.items.size() ? "," : "");
    if (line.size() + entry.size() + 1 > 110 && line.size() > 17) {
      os << line << "\n";
      line = "                 ";
    } else if (i) {
      line += " ";
    }
    line += entry;
  }
  os << line << "\n";
}

}  // namespace

double target_spacing(const GridPlan& g, const Options& o, int k) {
  const AxisMap& a = g.axis[static_cast<std::size_t>(k)];
  return o.grid.spacing[static_cast<std::size_t>(k)] ? a.target : a.spacing_out;
}

void print_plan(std::ostream& os, const JobPlan& p, const Options& o) {
  const ResamplePlan& rp = p.resample;
  const GridPlan& g = rp.setup.grid;
  const auto& ax = g.axis;
  os << "Input:   " << p.input.path() << "  (NIfTI-" << p.input.nifti_version() << ", "
     << datatype_name(p.input.datatype()) << (p.input.volumes() > 1 ? ", " + std::to_string(p.input.volumes()) + " volumes" : "")
     << ")\n";
  os << "  shape          " << ax[0].n << " x " << ax[1].n << " x " << ax[2].n << "\n";
  os << "  spacing        " << mm_um(ax[0].spacing_in, ax[1].spacing_in, ax[2].spacing_in) << "\n";
  os << "Requested        " << requested(p, o) << "\n";
  double target[3];
  for (int k = 0; k < 3; ++k) target[k] = target_spacing(g, o, k);
  os << "Target spacing   " << mm_um(target[0], target[1], target[2]) << "\n";
  // As resample_nifti.py prints it: old / new spacing; then the size ratio.
  os << "  zoom factor    ";
  for (int k = 0; k < 3; ++k)
    os << "xyz"[k] << " " << fmt("%.4f", ax[k].spacing_in / target[k]) << " (" << direction(ax[k]) << ")"
       << (k < 2 ? ", " : "\n");
  os << "  size ratio     ";
  for (int k = 0; k < 3; ++k)
    os << "xyz"[k] << " " << fmt("%.4f", static_cast<double>(ax[k].m) / static_cast<double>(ax[k].n))
       << (k < 2 ? ", " : "\n");
  os << "Grid             " << grid_named(p, o) << "\n";
  const Settings& st = p.settings;
  if (st.convention != Convention::respace || st.fov != FovRule::closed || st.size_rounding != SizeRounding::half_up ||
      st.int_rounding != IntRounding::nearest || st.header_spacing != HeaderSpacing::used)
    os << "Convention       " << to_string(st.convention) << ": field of view " << to_string(st.fov)
       << ", size rounding " << to_string(st.size_rounding) << ", integers " << to_string(st.int_rounding)
       << ", header spacing " << to_string(st.header_spacing) << "\n";
  os << "Interpolation    " << rp.setup.kernel->describe() << ", boundary " << to_string(rp.setup.boundary)
     << ", fill " << rp.setup.fill << "\n";
  if (!p.labels_why.empty()) {
    os << "Labels           voted, not interpolated: " << p.labels_why << "\n";
  } else if (!rp.setup.kernel->keeps_values() && rp.setup.in_datatype != DT_FLOAT32 &&
             rp.setup.in_datatype != DT_FLOAT64 && rp.setup.channels == 1 && p.input.header().intent_code == 0) {
    os << "  hint           an integer volume without an intent: if it is a label map, --labels votes instead of "
          "interpolating\n";
  }
  os << "Antialias        " << to_string(p.settings.antialias) << " (along the "
     << (rp.path == ResamplePath::general ? "input" : "output") << " axes):";
  for (std::size_t k = 0; k < 3; ++k) {
    const AxisFilter& f = rp.setup.filter[k];
    os << (k ? ", " : " ") << "xyz"[k] << " " << to_string(f.kind) << " (k " << fmt("%.4g", f.k);
    if (f.kind == AxisFilter::Kind::gauss) os << ", sigma " << fmt("%.4g", f.sigma) << ", radius " << f.radius;
    if (f.kind == AxisFilter::Kind::box) os << ", width " << fmt("%.4g", f.k);
    os << ")";
  }
  os << "\n";
  if (const std::optional<Prefilter> f = rp.setup.kernel->prefilter())
    os << "  prefilter      exact, truncated at a halo of " << f->halo << " samples per side (tail <= "
       << f->tolerance << " of the range)\n";
  os << "Output:  " << o.output << "  (NIfTI-" << p.output_version << (p.output_version == 2 && p.input.nifti_version() == 1 ? ", a dimension exceeds 32767" : "")
     << ", " << datatype_name(p.output_datatype)
     << (p.names.gzip ? ", gzip level " + std::to_string(p.level) + " (" + to_string(p.engine) +
                            (p.engine == GzipEngine::isal ? " level " + std::to_string(engine_level(p.engine, p.level)) : std::string()) + ")"
                      : std::string())
     << ")\n";
  if (p.output_exists)
    os << "  exists         yes: " << (o.force ? "--force replaces it" : "a run would need --force") << "\n";
  os << "  shape          " << ax[0].m << " x " << ax[1].m << " x " << ax[2].m << "  (";
  for (int k = 0; k < 3; ++k)
    os << "xyz"[k] << " " << ax[k].n << " -> " << ax[k].m << " "
       << fmt("%+.1f%%", 100.0 * (static_cast<double>(ax[k].m) / static_cast<double>(ax[k].n) - 1))
       << (k < 2 ? ", " : ")\n");
  os << "  spacing        "
     << mm_um(column_norm(g.primary_out, 0), column_norm(g.primary_out, 1), column_norm(g.primary_out, 2))
     << " (verified from the output affine)\n";
  if (g.header_requested) {
    double worst = 0;
    for (double d : g.header_offset_mm) worst = std::max(worst, std::fabs(d));
    os << "  header         the requested spacing (--header-spacing requested): the data were sampled at "
       << triple(ax[0].spacing_out, ax[1].spacing_out, ax[2].spacing_out) << " mm, so the header puts the last "
       << "voxel " << triple(g.header_offset_mm[0], g.header_offset_mm[1], g.header_offset_mm[2], "%.4g")
       << " mm from its sample (up to " << fmt("%.4g", worst) << " mm)\n";
  }
  if (p.xform_disagreement_mm > 1e-6)
    os << "  qform/sform    the input's disagree by up to " << fmt("%.4g", p.xform_disagreement_mm)
       << " mm at its corners; "
       << (p.xform_source ? std::string("both written from the ") +
                                (*p.xform_source == XformSource::sform ? "sform" : "qform") + " (--xform-source)"
                          : std::string("each kept, the sform used (--xform-source sform|qform makes them one)"))
       << "\n";
  os << "  origin shift   " << triple(g.origin_shift_mm[0], g.origin_shift_mm[1], g.origin_shift_mm[2], "%.6g")
     << " mm\n";
  if (o.dry_run) {
    os << "  affine         ";
    for (int r = 0; r < 4; ++r) {
      if (r) os << "                 ";
      for (int c = 0; c < 4; ++c) os << fmt("%12.6f", g.primary_out[r][c]);
      os << "\n";
    }
  }
  if (p.crop)
    os << "  crop           voxels " << p.crop->first[0] << ".." << p.crop->first[0] + p.crop->size[0] - 1 << ", "
       << p.crop->first[1] << ".." << p.crop->first[1] + p.crop->size[1] - 1 << ", " << p.crop->first[2] << ".."
       << p.crop->first[2] + p.crop->size[2] - 1 << " of the input\n";
  if (o.affine) os << "  transform      " << *o.affine << " (--affine, output world -> input world)\n";
  if (o.flirt) os << "  transform      " << *o.flirt << " (--flirt, FSL coordinates of the input -> REF's)\n";
  os << "Path:    " << p.target.why << "\n";
  if (!p.target.separable || o.dry_run) {
    const Mat4 v = stored_voxel_map(p);
    os << "  voxel map      output index -> input index\n";
    for (int r = 0; r < 3; ++r) {
      os << "                 ";
      for (int c = 0; c < 4; ++c) os << fmt("%12.6f", v[r][c]);
      os << "\n";
    }
  }
  if (!rp.how.empty()) os << "  " << to_string(rp.path) << " path   " << rp.how << "\n";
  print_memory(os, rp.memory);
  if (p.part) print_part(os, p, o.dry_run);
}

void print_result(std::ostream& os, const JobPlan& p, const JobResult& r, bool compare) {
  if (const auto& ls = r.stats.labels) {
    std::size_t in = 0, out = 0;
    std::vector<std::string> lost;
    for (const LabelCount& c : ls->labels) {
      in += c.in > 0;
      out += c.out > 0;
      if (c.in > 0 && c.out == 0) lost.push_back(c.label);
    }
    os << "Labels:  " << in << " in, " << out << " out, " << lost.size() << " lost";
    for (std::size_t i = 0; i < lost.size() && i < 10; ++i) os << (i ? ", " : ": ") << lost[i];
    if (lost.size() > 10) os << ", ...";
    if (!ls->complete) os << " (past " << kMaxCountedLabels << " distinct values the counts stopped)";
    os << "\n";
  }
  if (compare) {
    const nifti_image& h = p.input.header();
    const bool scaled = h.scl_slope != 0 && !(h.scl_slope == 1 && h.scl_inter == 0);
    os << "Compare" << (scaled ? " (scl_slope/scl_inter applied)" : "") << "\n";
    for (const auto& [name, st] : {std::pair{"input ", r.stats.input}, std::pair{"output", r.stats.output}}) {
      const ValueStats v = st.scaled(h.scl_slope, h.scl_inter);
      os << "  " << name << "         min " << fmt("%.6g", v.min) << ", max " << fmt("%.6g", v.max) << ", mean "
         << fmt("%.6g", v.mean) << ", std " << fmt("%.6g", v.std_dev()) << " (" << v.count << " values)\n";
    }
  }
  if (const auto& q = r.qc)
    os << "QC:      " << q->path << " (" << q->width << " x " << q->height << " pixels, " << fmt("%.4g", q->mm_per_pixel)
       << " mm per pixel" << (q->labels ? ", labels" : ", window " + fmt("%.4g", q->lo) + " to " + fmt("%.4g", q->hi))
       << ")\n";
  if (const auto& tf = r.stats.temp_file)
    os << "Temp:    " << tf->path << " (" << format_bytes(tf->bytes) << " of coefficients) "
       << (tf->removed ? "removed" : "NOT removed") << "\n";
  print_part_result(os, p, r);
  os << "Done:    " << fmt("%.2f", r.seconds) << " s, read " << format_bytes(r.bytes_read) << ", wrote "
     << format_bytes(r.bytes_written) << ", peak memory (RSS) " << format_bytes(r.peak_rss) << "\n";
}

}  // namespace respace
