// SPDX-License-Identifier: MIT
#include "engine/planner.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include "engine/general_resampler.hpp"
#include "engine/general_vote.hpp"
#include "engine/memory_limit.hpp"
#include "engine/pipeline.hpp"
#include "engine/sample_codec.hpp"
#include "io/byte_size.hpp"
#include "io/error.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace {

int effective_threads(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// The separable pipeline's buffers (engine/memory_plan.hpp), each named
// `prefix` + what it holds.
void add_pass_items(std::vector<MemoryItem>& items, const MemoryPlan& m, const std::string& prefix) {
  items.push_back({prefix + "input planes", m.raw_capacity, m.raw_bytes});
  items.push_back({prefix + "intermediate planes", m.mid_capacity, m.mid_bytes});
  items.push_back({prefix + "output blocks", m.out_capacity, m.out_bytes});
  if (m.codec_bytes > 0) items.push_back({prefix + "gzip chunks and deflaters", m.chunk_capacity, m.codec_bytes});
  items.push_back({prefix + "scratch", 0, m.scratch_bytes});
  items.push_back({prefix + "weight tables", 0, m.table_bytes});
  items.push_back({prefix + "io buffers", 0, m.io_bytes});
}

MemoryAccount separable_account(const MemoryPlan& m) {
  MemoryAccount a;
  a.limit = m.limit;
  a.shape = {{"threads", m.threads}, {"tokens", m.tokens}, {"block_planes", m.block},
             {"input_planes_per_block", m.shape.span_max}};
  add_pass_items(a.items, m, "");
  a.items.push_back({"process reserve", 0, kProcessReserve});
  a.planned = m.total() + kProcessReserve;
  return a;
}

MemoryAccount general_account(const GeneralMemory& g) {
  MemoryAccount a;
  a.limit = g.limit;
  a.shape = {{"threads", g.threads}, {"tokens", g.coefficients.tokens}, {"block_planes", g.block}, {"tile", g.tile}};
  if (g.ring) a.shape.push_back({"ring_planes", g.ring_planes});
  add_pass_items(a.items, g.coefficients, "coefficient pass: ");
  if (g.ring) a.items.push_back({"coefficient ring", static_cast<std::uint64_t>(g.ring_planes), g.ring_bytes});
  else a.items.push_back({"mapped coefficient pages", 0, g.mapped_bytes});
  a.items.push_back({"sampling: output block", 1, g.block_bytes});
  if (g.chunk_bytes + g.codec_bytes > 0)
    a.items.push_back({"sampling: gzip chunks and deflaters", g.chunk_capacity, g.chunk_bytes + g.codec_bytes});
  a.items.push_back({"sampling: scratch", 0, g.scratch_bytes});
  if (!g.ring) a.items.push_back({"sampling: io buffers", 0, kIoBytes});
  a.items.push_back({"process reserve", 0, kProcessReserve});
  a.planned = g.total() + kProcessReserve;
  return a;
}

MemoryAccount vote_account(const VoteMemory& v) {
  MemoryAccount a;
  a.limit = v.limit;
  a.shape = {{"threads", v.threads}, {"block_planes", v.block}, {"ring_planes", v.ring_planes}};
  a.items.push_back({"input planes (ring)", static_cast<std::uint64_t>(v.ring_planes), v.ring_bytes});
  a.items.push_back({"output block", 1, v.block_bytes});
  if (v.codec_bytes > 0) a.items.push_back({"gzip chunks and deflaters", v.chunk_capacity, v.codec_bytes});
  a.items.push_back({"vote scratch", 0, v.scratch_bytes});
  a.items.push_back({"weight tables", 0, v.table_bytes});
  a.items.push_back({"label counts", kMaxCountedLabels, v.count_bytes});
  a.items.push_back({"io buffers", 0, kIoBytes});
  a.items.push_back({"process reserve", 0, kProcessReserve});
  a.planned = v.total() + kProcessReserve;
  return a;
}

// --labels: what the vote cannot take.
void check_labels(const ResampleRequest& q) {
  const ResampleSetup& s = q.setup;
  if (s.kernel->prefilter())
    throw Error(ExitCode::usage, std::string("--labels with the ") + s.kernel->describe() +
                                     ": its weights are not all non-negative, so they cannot vote; use --order 1 "
                                     "(linear, as ITK's GenericLabel[Linear]) or --order 0");
  if (!q.separable && (q.antialias == Antialias::gauss || q.antialias == Antialias::box))
    throw Error(ExitCode::usage, std::string("--labels with --antialias ") + to_string(q.antialias) +
                                     " on the general path (a rotation or oblique grid): the vote there is over "
                                     "the interpolation footprint; use --antialias auto or off");
  if (s.channels != 1) throw Error(ExitCode::usage, "--labels: an RGB image is not a label map");
  if (s.out_datatype != s.in_datatype)
    throw Error(ExitCode::usage, "--labels keeps the input's type: no --datatype with it");
  const bool integral = s.in_datatype != DT_FLOAT32 && s.in_datatype != DT_FLOAT64;
  if (integral && (s.fill != std::floor(s.fill) || !std::isfinite(s.fill)))
    throw Error(ExitCode::usage, "--labels: --fill must be a label (an integer) for an integer label map");
  visit_datatype(s.in_datatype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (integral && (s.fill < static_cast<double>(std::numeric_limits<T>::lowest()) ||
                     s.fill > static_cast<double>(std::numeric_limits<T>::max())))
      throw Error(ExitCode::usage, "--labels: --fill is outside the label map's type");
  });
}

std::string general_how(const GeneralMemory& g, const GeneralSetup& s) {
  std::string how = g.ring ? "coefficients of the input in a ring of " + std::to_string(g.ring_planes) +
                                 " planes in memory, sampled as they arrive: "
                           : "coefficients of the input (" + format_bytes(g.coefficient_file_bytes) +
                                 " per volume) in a temporary file in " + s.temp_dir + ", removed when done: ";
  return how + g.source_why;
}

// The filter of each axis the tables are built along: the output axes (the
// reduction is the axis map's step), or on the general path the input axes
// (the RMS extent of an output voxel along each, from the voxel map).
std::array<AxisFilter, 3> axis_filters(const ResampleRequest& q) {
  std::array<AxisFilter, 3> f;
  for (std::size_t a = 0; a < 3; ++a) {
    double k = std::fabs(q.setup.grid.axis[a].r);
    if (!q.separable) {
      const Mat4& v = q.voxel_map;
      k = std::sqrt(v[a][0] * v[a][0] + v[a][1] * v[a][1] + v[a][2] * v[a][2]);
    }
    // auto leaves a kernel that keeps values alone (nearest: labels, masks).
    const bool keep = q.antialias == Antialias::automatic && q.setup.kernel->keeps_values();
    f[a] = axis_filter(keep ? Antialias::off : q.antialias, k);
    if (!q.separable && f[a].kind == AxisFilter::Kind::box)
      throw Error(ExitCode::usage, "--antialias box: an output voxel of the general path (a rotation or oblique "
                                   "grid) has no box footprint along the input axes; use --antialias gauss (or auto)");
  }
  return f;
}

}  // namespace

const char* to_string(ResamplePath p) {
  switch (p) {
    case ResamplePath::separable: return "separable";
    case ResamplePath::general: return "general";
    case ResamplePath::labels: return "labels";
  }
  return "?";
}

namespace {

// Output planes [k0, k1) of z alone: the rows sliced, the input indices
// shifted to the first plane they read. Returns the input planes read.
InputWindow window_z(AxisTable<double>& z, std::int64_t k0, std::int64_t k1) {
  if (k0 < 0 || k1 > z.m || k0 > k1) throw std::logic_error("window_z: a window outside the output");
  std::int64_t lo = INT64_MAX, hi = -1;
  for (std::int64_t k = k0; k < k1; ++k)
    if (z.ntap[static_cast<std::size_t>(k)] > 0) lo = std::min(lo, z.lo(k)), hi = std::max(hi, z.hi(k));
  if (hi < 0) lo = 0, hi = -1;  // the window reads nothing (all fill)
  const auto K = static_cast<std::size_t>(z.max_taps);
  const auto a = static_cast<std::size_t>(k0), b = static_cast<std::size_t>(k1);
  z.ntap.assign(z.ntap.begin() + static_cast<std::ptrdiff_t>(a), z.ntap.begin() + static_cast<std::ptrdiff_t>(b));
  z.index.assign(z.index.begin() + static_cast<std::ptrdiff_t>(a * K), z.index.begin() + static_cast<std::ptrdiff_t>(b * K));
  z.weight.assign(z.weight.begin() + static_cast<std::ptrdiff_t>(a * K), z.weight.begin() + static_cast<std::ptrdiff_t>(b * K));
  z.coverage.assign(z.coverage.begin() + static_cast<std::ptrdiff_t>(a), z.coverage.begin() + static_cast<std::ptrdiff_t>(b));
  z.inside.assign(z.inside.begin() + static_cast<std::ptrdiff_t>(a), z.inside.begin() + static_cast<std::ptrdiff_t>(b));
  for (std::int64_t& i : z.index) i -= lo;
  z.m = k1 - k0;
  z.n = hi - lo + 1;
  z.identity = false;
  z.pick_runs.clear();
  return {lo, hi - lo + 1};
}

// The paths' plan within the limit less `held`, what the caller holds
// besides the engine (ResampleRequest::held).
ResamplePlan plan_paths(const ResampleRequest& request, std::uint64_t held) {
  // A kernel that votes makes the input a label map, as --labels does.
  ResampleRequest q = request;
  q.setup.labels = q.setup.labels || q.setup.kernel->combine() == Combine::vote;
  ResamplePlan p;
  p.setup = q.setup;
  p.setup.filter = axis_filters(q);
  p.path = q.separable ? ResamplePath::separable : ResamplePath::general;
  const int threads = effective_threads(q.threads);
  LimitPolicy policy;
  policy.given = q.memory_limit;
  policy.default_limit = kDefaultMemoryLimit;
  policy.ceiling = default_limit_ceiling();
  policy.planning_bytes = planning_bytes(p.setup);
  if (held > 0) {
    if (policy.given > 0 && policy.given <= held + kProcessReserve)
      throw Error(ExitCode::memory_limit, "--memory-limit " + format_bytes(policy.given) + " cannot hold the " +
                                              format_bytes(held) + " the job holds besides resampling (" +
                                              request.held.front().name + "); give more");
    if (policy.given > 0) policy.given -= held;
    // The whole process stays within the default and its ceiling too.
    policy.default_limit = policy.default_limit > held ? policy.default_limit - held : 0;
    policy.ceiling = policy.ceiling > held ? policy.ceiling - held : 0;
  }
  if (policy.planning_bytes > (policy.given ? policy.given : policy.default_limit)) refuse_tables(policy);
  {
    const auto& a = p.setup.grid.axis;
    const auto u64 = [](std::int64_t v) { return static_cast<std::uint64_t>(std::max<std::int64_t>(v, 0)); };
    const auto c = static_cast<std::uint64_t>(p.setup.channels);
    const std::uint64_t in = sat_mul(sat_mul(sat_mul(u64(a[0].n), u64(a[1].n)), c), u64(scalar_bytes(p.setup.in_datatype)));
    const std::uint64_t out = sat_mul(sat_mul(sat_mul(u64(a[0].m), u64(a[1].m)), c), u64(scalar_bytes(p.setup.out_datatype)));
    policy.plane_bytes = std::max(in, out);
    check_planes(policy);
  }

  if (p.setup.labels) {
    check_labels(q);
    p.path = ResamplePath::labels;
    bool raised = false;
    if (q.separable) {
      p.tables = std::make_shared<const SeparableTables>(build_separable_tables(p.setup));
      p.vote = plan_within_limit<VoteMemory>(policy, [&](std::uint64_t limit, bool smallest) {
        return plan_vote_memory(p.setup, *p.tables, smallest ? 1 : threads, limit, q.gzip_output, q.deflater_bytes,
                                smallest);
      }, raised);
    } else {
      p.setup.filter = {};  // the vote is over the interpolation footprint there (engine/general_vote.hpp)
      p.general.base = p.setup;
      p.general.voxel_map = q.voxel_map;
      p.vote = plan_within_limit<VoteMemory>(policy, [&](std::uint64_t limit, bool smallest) {
        return plan_general_vote_memory(p.general, smallest ? 1 : threads, limit, q.gzip_output, q.deflater_bytes,
                                        smallest);
      }, raised);
    }
    p.memory = vote_account(p.vote);
    p.memory.raised = raised;
    p.output_chunks = p.vote.chunk_capacity;
    p.threads = p.vote.threads;
    p.how = "a vote of the kernel's weights over each output voxel's footprint, the heaviest label (ties to the "
            "lowest); values copied, never computed on";
    return p;
  }

  if (p.path == ResamplePath::separable) {
    SeparableTables tables = build_separable_tables(p.setup);
    if (q.z_window) p.input_window = window_z(tables.z, (*q.z_window)[0], (*q.z_window)[1]);
    p.tables = std::make_shared<const SeparableTables>(std::move(tables));
    p.pass = plan_within_limit<MemoryPlan>(policy, [&](std::uint64_t limit, bool smallest) {
      MemoryRequest req = memory_request(p.setup, *p.tables, smallest ? 1 : threads, limit);
      req.block = smallest ? 1 : q.block;
      if (smallest) req.tokens = 1;
      req.gzip_output = q.gzip_output;
      req.deflater_bytes = q.deflater_bytes;
      return plan_memory(req);
    }, p.memory.raised);
    const bool raised = p.memory.raised;
    p.memory = separable_account(p.pass);
    p.memory.raised = raised;
    p.output_chunks = p.pass.chunk_capacity;
    p.threads = p.pass.threads;
    return p;
  }

  p.general.base = p.setup;
  p.general.voxel_map = q.voxel_map;
  p.general.temp_dir = q.temp_dir;
  p.general.allow_ring = q.allow_ring;
  size_rings(p.general);
  p.tables = std::make_shared<const SeparableTables>(build_separable_tables(coefficient_setup(p.general)));
  bool raised = false;
  p.general_memory = plan_within_limit<GeneralMemory>(policy, [&](std::uint64_t limit, bool smallest) {
    return plan_general_memory(p.general, *p.tables, smallest ? 1 : threads, limit, q.gzip_output, q.deflater_bytes,
                               smallest);
  }, raised);
  p.pass = p.general_memory.coefficients;
  p.memory = general_account(p.general_memory);
  p.memory.raised = raised;
  p.how = general_how(p.general_memory, p.general);
  p.output_chunks = p.general_memory.chunk_capacity;
  p.threads = p.general_memory.threads;
  return p;
}

}  // namespace

ResamplePlan plan_resample(const ResampleRequest& request) {
  std::uint64_t held = 0;
  for (const MemoryItem& it : request.held) held += it.bytes;
  ResamplePlan p = plan_paths(request, held);
  if (held == 0) return p;
  // The account is the whole process's: the held buffers before the reserve.
  MemoryAccount& a = p.memory;
  a.items.insert(a.items.end() - 1, request.held.begin(), request.held.end());
  a.limit += held;
  a.planned += held;
  return p;
}

std::unique_ptr<Resampler> make_resampler(const ResamplePlan& p) {
  if (p.path == ResamplePath::labels)
    return p.tables ? make_vote_resampler(p.setup, p.vote, p.tables) : make_general_vote(p.general, p.vote);
  if (p.path == ResamplePath::separable) return make_pipeline(p.setup, p.pass, *p.tables);
  return make_general_resampler(p.general, p.general_memory, p.tables);
}

}  // namespace respace
