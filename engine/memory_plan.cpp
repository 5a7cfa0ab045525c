// SPDX-License-Identifier: MIT
#include "engine/memory_plan.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>

#include "engine/plane_resampler.hpp"
#include "io/byte_sink.hpp"
#include "io/byte_size.hpp"
#include "io/nifti_header.hpp"
#include "io/error.hpp"

namespace respace {

MemoryRequest memory_request(const ResampleSetup& s, const SeparableTables& t, int threads, std::uint64_t limit) {
  MemoryRequest q;
  q.nx = t.x.n * s.channels;
  q.ny = t.y.n;
  q.mx = t.x.m * s.channels;
  q.my = t.y.m;
  q.z = z_ranges(t.z);
  q.wide_x = x_pass_transposed(t.x);
  q.in_bytes = scalar_bytes(s.in_datatype);
  q.out_bytes = scalar_bytes(s.out_datatype);
  q.work_bytes = work_bytes(s);
  std::uint64_t table = 0;
  for (const AxisTable<double>* a : {&t.x, &t.y, &t.z})
    table += static_cast<std::uint64_t>(a->m) * static_cast<std::uint64_t>(a->max_taps) * (8 + 8) +
             static_cast<std::uint64_t>(a->m) * 8;  // index, weight; ntap, coverage, inside
  q.table_bytes = 2 * table;  // the planner's double copy and the pipeline's W copy
  q.threads = threads;
  q.limit = limit;
  q.shapes = t.block_shapes;
  return q;
}

namespace {

MemoryPlan cost(const MemoryRequest& q, int threads, int tokens, int block, const BlockShape& shape) {
  MemoryPlan p;
  p.limit = q.limit;
  p.threads = threads;
  p.tokens = tokens;
  p.block = block;
  p.shape = shape;
  const auto u = [](std::int64_t v) { return static_cast<std::uint64_t>(v); };
  const std::uint64_t in_plane = u(q.nx) * u(q.ny);
  const std::uint64_t out_plane = u(q.mx) * u(q.my);
  p.raw_capacity = static_cast<std::size_t>(u(tokens) * u(p.shape.new_max));
  p.mid_capacity = static_cast<std::size_t>(u(tokens) * u(p.shape.new_max) + u(p.shape.span_max));
  p.out_capacity = static_cast<std::size_t>(tokens);
  p.raw_bytes = p.raw_capacity * in_plane * u(q.in_bytes);
  p.mid_bytes = p.mid_capacity * out_plane * u(q.work_bytes);
  p.out_bytes = p.out_capacity * u(block) * out_plane * u(q.out_bytes);
  const std::uint64_t tmp = std::max(u(q.nx) * u(q.my), u(q.mx) * u(q.ny));
  const std::uint64_t transposed = q.wide_x ? (u(q.nx) + u(q.mx)) * std::max(u(q.ny), u(q.my)) : 0;
  p.scratch_bytes = u(threads) * (in_plane + tmp + u(q.mx) + transposed) * u(q.work_bytes);
  p.io_bytes = kIoBytes;
  p.table_bytes = q.table_bytes;
  if (q.gzip_output) {
    const std::uint64_t block_bytes = u(block) * out_plane * u(q.out_bytes);
    p.chunk_capacity = static_cast<std::size_t>(u(tokens) * ((block_bytes + kChunkBytes - 1) / kChunkBytes + 1) + 1);
    p.codec_bytes = p.chunk_capacity * chunk_buffer_bytes() + u(threads) * q.deflater_bytes;
  }
  return p;
}

std::vector<int> token_candidates(int threads) {
  std::vector<int> c = {2 * threads, threads + 1, threads, 2, 1};
  std::sort(c.begin(), c.end(), std::greater<int>());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  return c;
}

}  // namespace

MemoryPlan plan_memory(const MemoryRequest& q) {
  const std::uint64_t budget = q.limit > kProcessReserve ? q.limit - kProcessReserve : 0;
  const std::uint64_t target = std::min(budget, kWorkingSetTarget);
  const int deepest = static_cast<int>(std::clamp<std::size_t>(q.z.size(), 1, 64));
  // block_shape() is O(output planes) and depends on the block alone:
  // once per depth, not once per (threads, tokens, block) tried.
  std::vector<std::optional<BlockShape>> shapes(static_cast<std::size_t>(std::max(deepest, q.block.value_or(1))) + 1);
  const auto shape_of = [&](int b) -> const BlockShape& {
    std::optional<BlockShape>& s = shapes[static_cast<std::size_t>(b)];
    if (!s && q.shapes) {
      const auto found = q.shapes->by_block.find(b);
      if (found != q.shapes->by_block.end()) s = found->second;
    }
    if (!s) {
      s = block_shape(q.z, b);
      if (q.shapes) q.shapes->by_block[b] = *s;
    }
    return *s;
  };
  // The least shape: one thread, one token (unless given), one plane per
  // block (unless given). Every other shape costs at least as much, so when
  // this one is past the limit nothing is tried (each depth tried measures
  // up to millions of planes).
  const MemoryPlan smallest = cost(q, 1, q.tokens.value_or(1), q.block.value_or(1), shape_of(q.block.value_or(1)));
  const auto refusal = [&] {
    const std::uint64_t need = smallest.total() + kProcessReserve;
    return Error(ExitCode::memory_limit,
                "--memory-limit " + format_bytes(q.limit) + " is too small for this volume: the smallest "
                "working set needs " + format_bytes(need) + " (use --memory-limit " +
                std::to_string((need + (1u << 20) - 1) >> 20) + "M or more)");
  };
  if (smallest.total() > budget) throw refusal();
  // The first shape that fits with `threads`: the most tokens, then the
  // deepest block within the target; when no token count has a block within
  // the target (huge planes), the most tokens whose one-plane block the
  // budget holds.
  const auto first_fit = [&](int threads) -> std::optional<MemoryPlan> {
    std::vector<int> tokens = q.tokens ? std::vector<int>{*q.tokens} : token_candidates(threads);
    if (q.block) {
      for (int t : tokens) {
        MemoryPlan p = cost(q, threads, t, *q.block, shape_of(*q.block));
        if (p.total() <= budget) return p;
      }
      return std::nullopt;
    }
    for (int t : tokens)
      for (int b = deepest; b >= 1; --b) {
        MemoryPlan p = cost(q, threads, t, b, shape_of(b));
        if (p.total() <= target) return p;
      }
    for (int t : tokens) {
      MemoryPlan p = cost(q, threads, t, 1, shape_of(1));
      if (p.total() <= budget) return p;
    }
    return std::nullopt;
  };
  // The most threads that fit. Fewer threads never cost more (scratch and
  // deflaters grow with them; tokens 1 and 2 are always candidates), so
  // whether a thread count fits is monotone and a bisection finds what a
  // walk down from --threads 1008 one by one would, in ten tries.
  const int top = std::max(1, q.threads);
  if (std::optional<MemoryPlan> p = first_fit(top)) return *p;
  if (std::optional<MemoryPlan> p = first_fit(1)) {
    int lo = 1, hi = top;  // lo fits, hi does not
    MemoryPlan best = *p;
    while (hi - lo > 1) {
      const int mid = lo + (hi - lo) / 2;
      if (std::optional<MemoryPlan> m = first_fit(mid)) {
        lo = mid;
        best = *m;
      } else {
        hi = mid;
      }
    }
    return best;
  }
  throw refusal();
}

}  // namespace respace
