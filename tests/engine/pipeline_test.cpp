// SPDX-License-Identifier: MIT
// The streaming pipeline against a whole-volume reference built from the
// same kernels, for several thread counts, block depths, token counts,
// datatypes, zooms and grid policies; plus the invariants (constant stays
// constant, identity is bit-exact, NaN stays local) and the declared bounds
// on tokens and planes, with a stalled worker.
#include <gtest/gtest.h>
#include <nifti/nifti1.h>
#include <oneapi/tbb/global_control.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "engine/pipeline.hpp"
#include "engine/plane_resampler.hpp"
#include "engine/sample_codec.hpp"
#include "tests/engine/kernel_of.hpp"
#include "io/byte_sink.hpp"
#include "io/byte_source.hpp"
#include "io/nifti_header.hpp"
#include "memory_streams.hpp"

namespace respace {
namespace {

using testing::MemorySink;
using testing::MemorySource;

struct Volume {
  std::int64_t nx, ny, nz;
  int datatype;
  std::vector<unsigned char> bytes;  // stored, possibly byte-swapped
  bool swapped = false;
};

Volume random_volume(std::int64_t nx, std::int64_t ny, std::int64_t nz, int datatype, bool swap,
                     unsigned seed = 7) {
  Volume v{nx, ny, nz, datatype, {}, swap};
  const auto n = static_cast<std::size_t>(nx * ny * nz);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1000, 1000);
  std::vector<double> vals(n);
  for (auto& x : vals) x = std::round(u(rng));
  v.bytes.resize(n * static_cast<std::size_t>(scalar_bytes(datatype)));
  visit_datatype(datatype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    encode<T, double>(vals.data(), v.bytes.data(), n);
    if (swap)
      for (std::size_t i = 0; i < n; ++i) std::reverse(&v.bytes[i * sizeof(T)], &v.bytes[(i + 1) * sizeof(T)]);
  });
  return v;
}

ResampleSetup setup_for(const Volume& v, std::array<double, 3> target, GridPolicy policy, const Kernel& kernel,
                        std::optional<Boundary> boundary = std::nullopt, double fill = 0) {
  InputGeometry g;
  g.n = {v.nx, v.ny, v.nz};
  GridRequest r;
  r.spacing = {target[0], target[1], target[2]};
  r.policy = policy;
  ResampleSetup s;
  s.grid = plan_grid(g, r);
  s.kernel = &kernel;
  s.boundary = boundary.value_or(kernel.default_boundary());
  s.fill = fill;
  s.in_datatype = s.out_datatype = v.datatype;
  s.in_swap = v.swapped;
  return s;
}

// The whole volume in memory: decode all, xy-resample every plane, then the
// z sum in tap order, then fill and encode. Same kernels, no streaming.
template <class W>
std::vector<unsigned char> reference(const Volume& v, const ResampleSetup& s) {
  const auto X = build_axis_table<W>(s.grid.axis[0], *s.kernel, s.boundary);
  const auto Y = build_axis_table<W>(s.grid.axis[1], *s.kernel, s.boundary);
  const auto Z = build_axis_table<W>(s.grid.axis[2], *s.kernel, s.boundary);
  const auto in_plane = static_cast<std::size_t>(v.nx * v.ny), out_plane = static_cast<std::size_t>(X.m * Y.m);
  std::vector<W> all(in_plane * static_cast<std::size_t>(v.nz)), mid(out_plane * static_cast<std::size_t>(v.nz));
  visit_datatype(v.datatype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    decode<T, W>(v.bytes.data(), all.data(), all.size(), v.swapped);
  });
  std::vector<W> tmp(xy_scratch_values(X, Y) + x_transpose_scratch_values(X, Y));
  for (std::int64_t z = 0; z < v.nz; ++z)
    resample_plane(&all[static_cast<std::size_t>(z) * in_plane], tmp.data(), &mid[static_cast<std::size_t>(z) * out_plane], X, Y,
                   cheaper_xy_order(X, Y));
  const int ob = scalar_bytes(s.out_datatype);
  std::vector<unsigned char> out(out_plane * static_cast<std::size_t>(Z.m) * static_cast<std::size_t>(ob));
  std::vector<W> val(1);
  for (std::int64_t k = 0; k < Z.m; ++k)
    for (std::int64_t jy = 0; jy < Y.m; ++jy)
      for (std::int64_t jx = 0; jx < X.m; ++jx) {
        W acc = 0;
        const int nt = Z.ntap[k];
        for (int t = 0; t < nt; ++t) {
          const W x = mid[static_cast<std::size_t>(Z.taps(k)[t]) * out_plane + static_cast<std::size_t>(jy * X.m + jx)];
          acc = t == 0 ? Z.weights(k)[0] * x : acc + Z.weights(k)[t] * x;
        }
        if (nt == 1 && Z.weights(k)[0] == W(1)) acc = mid[static_cast<std::size_t>(Z.taps(k)[0]) * out_plane + static_cast<std::size_t>(jy * X.m + jx)];
        if (s.boundary == Boundary::constant && s.fill != 0.0 && !(X.full_coverage && Y.full_coverage && Z.full_coverage))
          acc += static_cast<W>(s.fill) * (W(1) - X.coverage[jx] * (Y.coverage[jy] * Z.coverage[k]));
        if (!Z.inside[k] || !Y.inside[jy] || !X.inside[jx]) acc = static_cast<W>(s.fill);
        val[0] = acc;
        const std::size_t at = (static_cast<std::size_t>(k) * out_plane + static_cast<std::size_t>(jy * X.m + jx)) * static_cast<std::size_t>(ob);
        visit_datatype(s.out_datatype, [&](auto tag) {
          using T = typename decltype(tag)::type;
          encode<T, W>(val.data(), &out[at], 1);
        });
      }
  return out;
}

std::vector<unsigned char> reference(const Volume& v, const ResampleSetup& s) {
  return needs_double(v.datatype) ? reference<double>(v, s) : reference<float>(v, s);
}

struct RunResult {
  std::vector<unsigned char> bytes;
  RunStats stats;
  MemoryPlan plan;
};

RunResult stream(const Volume& v, const ResampleSetup& s, int threads, int block, std::optional<int> tokens = {},
                 const PipelineHooks& hooks = {}) {
  oneapi::tbb::global_control gc(oneapi::tbb::global_control::max_allowed_parallelism,
                                 static_cast<std::size_t>(threads));
  const SeparableTables tables = build_separable_tables(s);
  MemoryRequest q = memory_request(s, tables, threads, std::uint64_t{1} << 32);
  q.block = block;
  q.tokens = tokens;
  RunResult r;
  r.plan = plan_memory(q);
  auto rs = make_pipeline(s, r.plan, tables);
  MemorySource src(v.bytes);
  MemorySink sink;
  rs->run_volume(src, sink, hooks);
  EXPECT_EQ(src.position(), v.bytes.size()) << "every input byte consumed";
  r.bytes = std::move(sink.bytes);
  r.stats = rs->stats();
  return r;
}

void expect_within_bounds(const RunResult& r) {
  EXPECT_EQ(r.stats.pools.overflows, 0u);
  EXPECT_LE(r.stats.pools.peak_live_tokens, r.plan.tokens);
  EXPECT_LE(r.stats.pools.peak_mid, r.plan.mid_capacity);
  EXPECT_LE(r.stats.pools.peak_raw, r.plan.raw_capacity);
  EXPECT_LE(r.stats.pools.peak_out, r.plan.out_capacity);
}

struct Case {
  const char* name;
  std::int64_t nx, ny, nz;
  int datatype;
  bool swap;
  std::array<double, 3> target;
  GridPolicy policy;
  const Kernel* kernel;
  std::optional<Boundary> boundary = std::nullopt;
  double fill = 0;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class StreamingCase : public ::testing::TestWithParam<Case> {};

TEST_P(StreamingCase, SameBytesForAnyThreadsAndBlocksAndEqualToReference) {
  const Case& c = GetParam();
  const Volume v = random_volume(c.nx, c.ny, c.nz, c.datatype, c.swap);
  const ResampleSetup s = setup_for(v, c.target, c.policy, *c.kernel, c.boundary, c.fill);
  const std::vector<unsigned char> ref = reference(v, s);
  for (int threads : {1, 2, 4})
    for (int block : {1, 2, 7, 64}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + " block " + std::to_string(block));
      const RunResult r = stream(v, s, threads, block);
      ASSERT_EQ(r.bytes.size(), ref.size());
      EXPECT_TRUE(r.bytes == ref);
      expect_within_bounds(r);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StreamingCase,
    ::testing::Values(
        Case{"down_center_f32", 23, 19, 31, DT_FLOAT32, false, {1.5, 1.5, 1.5}, GridPolicy::center, &linear_kernel()},
        Case{"mixed_origin_i16_swapped", 17, 21, 25, DT_INT16, true, {0.7, 1.3, 2.0}, GridPolicy::origin, &linear_kernel()},
        Case{"up_fov_u8", 9, 11, 7, DT_UINT8, false, {0.5, 0.4, 0.3}, GridPolicy::fov, &linear_kernel()},
        Case{"corners_f64", 13, 12, 17, DT_FLOAT64, false, {1.0, 1.7, 0.6}, GridPolicy::corners, &linear_kernel()},
        Case{"nearest_i32_swapped", 15, 14, 20, DT_INT32, true, {1.25, 0.8, 1.9}, GridPolicy::center, &nearest_kernel()},
        Case{"z_only_heavy_down", 8, 8, 60, DT_FLOAT32, false, {1.0, 1.0, 7.3}, GridPolicy::center, &linear_kernel()},
        Case{"z_only_heavy_up", 6, 5, 4, DT_INT16, false, {1.0, 1.0, 0.13}, GridPolicy::origin, &linear_kernel()},
        Case{"linear_mirror", 12, 11, 13, DT_FLOAT32, false, {0.6, 1.3, 0.9}, GridPolicy::fov, &linear_kernel(), Boundary::mirror},
        Case{"linear_constant_fill", 12, 11, 13, DT_FLOAT32, false, {0.6, 1.3, 0.7}, GridPolicy::origin, &linear_kernel(), Boundary::constant, 5.5},
        Case{"cubic_mirror_down", 23, 19, 45, DT_FLOAT32, false, {1.5, 1.3, 1.7}, GridPolicy::center, &cubic_kernel()},
        Case{"cubic_reflect_up_i16", 11, 9, 21, DT_INT16, true, {0.45, 0.7, 0.6}, GridPolicy::fov, &cubic_kernel(), Boundary::reflect},
        Case{"cubic_nearest_mixed", 14, 17, 33, DT_FLOAT32, false, {0.8, 1.6, 1.2}, GridPolicy::corners, &cubic_kernel(), Boundary::nearest},
        Case{"cubic_constant_fill", 13, 12, 30, DT_FLOAT32, false, {0.7, 1.4, 0.9}, GridPolicy::origin, &cubic_kernel(), Boundary::constant, -3.25},
        Case{"quadratic_mirror_f64", 10, 12, 28, DT_FLOAT64, false, {1.2, 0.55, 1.1}, GridPolicy::center, &quadratic_kernel()},
        Case{"quadratic_constant_u8", 9, 10, 26, DT_UINT8, false, {0.9, 1.1, 0.5}, GridPolicy::fov, &quadratic_kernel(), Boundary::constant, 9}),
    [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(Streaming, StalledWorkerChangesNothingAndBoundsHold) {
  const Volume v = random_volume(20, 18, 64, DT_FLOAT32, false);
  const ResampleSetup s = setup_for(v, {1.1, 0.9, 1.5}, GridPolicy::center, linear_kernel());
  const std::vector<unsigned char> ref = reference(v, s);
  PipelineHooks hooks;
  // Stall every third block in the xy stage and every fifth in z, so later
  // tokens overtake earlier ones in both parallel filters.
  hooks.after_xy = [](std::int64_t k0) {
    if (k0 % 3 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(15));
  };
  hooks.before_z = [](std::int64_t k0) {
    if (k0 % 5 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  const RunResult r = stream(v, s, 4, 1, 8, hooks);
  EXPECT_TRUE(r.bytes == ref);
  expect_within_bounds(r);
  EXPECT_GE(r.stats.pools.peak_live_tokens, 2) << "the stall should have let tokens pile up";
}

TEST(Streaming, ConstantVolumeStaysConstant) {
  Volume v{31, 17, 23, DT_FLOAT32, {}, false};
  const float c = 123.456f;
  v.bytes.resize(static_cast<std::size_t>(31 * 17 * 23) * 4);
  for (std::size_t i = 0; i < v.bytes.size(); i += 4) std::memcpy(&v.bytes[i], &c, 4);
  for (GridPolicy p : {GridPolicy::center, GridPolicy::origin, GridPolicy::fov, GridPolicy::corners}) {
    const ResampleSetup s = setup_for(v, {0.77, 1.3, 2.1}, p, linear_kernel());
    const RunResult r = stream(v, s, 2, 3);
    const auto X = build_axis_table<float>(s.grid.axis[0], *s.kernel, s.boundary);
    const auto Y = build_axis_table<float>(s.grid.axis[1], *s.kernel, s.boundary);
    const auto Z = build_axis_table<float>(s.grid.axis[2], *s.kernel, s.boundary);
    std::size_t i = 0;
    for (std::int64_t k = 0; k < Z.m; ++k)
      for (std::int64_t jy = 0; jy < Y.m; ++jy)
        for (std::int64_t jx = 0; jx < X.m; ++jx, i += 4) {
          float got;
          std::memcpy(&got, &r.bytes[i], 4);
          const bool in = Z.inside[k] && Y.inside[jy] && X.inside[jx];
          ASSERT_NEAR(got, in ? c : 0.0f, in ? 1e-4f : 0.0f) << to_string(p);
        }
  }
}

// With --boundary constant and the fill equal to the constant, every sample,
// inside or outside the FOV, is that constant, for every order.
TEST(Streaming, ConstantVolumeWithEqualFillIsConstantEverywhere) {
  Volume v{15, 12, 20, DT_FLOAT32, {}, false};
  const float c = -41.5f;
  v.bytes.resize(static_cast<std::size_t>(15 * 12 * 20) * 4);
  for (std::size_t i = 0; i < v.bytes.size(); i += 4) std::memcpy(&v.bytes[i], &c, 4);
  for (const Kernel* o : {&nearest_kernel(), &linear_kernel(), &quadratic_kernel(), &cubic_kernel()}) {
    const ResampleSetup s = setup_for(v, {0.37, 1.9, 0.8}, GridPolicy::origin, *o, Boundary::constant, c);
    const RunResult r = stream(v, s, 2, 7);
    for (std::size_t i = 0; i < r.bytes.size(); i += 4) {
      float got;
      std::memcpy(&got, &r.bytes[i], 4);
      ASSERT_NEAR(got, c, 1e-4f) << o->name() << " byte " << i;
    }
  }
}

TEST(Streaming, IdentityIsBitExactIncludingNaN) {
  Volume v = random_volume(11, 13, 9, DT_FLOAT32, false);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::memcpy(&v.bytes[40], &nan, 4);
  std::memcpy(&v.bytes[400], &inf, 4);
  for (const Kernel* o : {&nearest_kernel(), &linear_kernel(), &quadratic_kernel(), &cubic_kernel()}) {
    const ResampleSetup s = setup_for(v, {1, 1, 1}, GridPolicy::center, *o);
    EXPECT_TRUE(stream(v, s, 2, 2).bytes == v.bytes);
  }
}

TEST(Streaming, NanStaysLocalToTheTapsThatTouchIt) {
  Volume v{16, 1, 1, DT_FLOAT32, {}, false};
  std::vector<float> vals(16, 1.0f);
  vals[8] = std::numeric_limits<float>::quiet_NaN();
  v.bytes.resize(64);
  std::memcpy(v.bytes.data(), vals.data(), 64);
  // 2x upsampling on x (origin grid): positions 0, 0.5, 1, ..., 7.5, 8, 8.5, ...
  const ResampleSetup s = setup_for(v, {0.5, 1, 1}, GridPolicy::origin, linear_kernel());
  const RunResult r = stream(v, s, 1, 1);
  std::vector<float> out(r.bytes.size() / 4);
  std::memcpy(out.data(), r.bytes.data(), r.bytes.size());
  for (std::size_t j = 0; j < out.size(); ++j) {
    const double p = 0.5 * static_cast<double>(j);
    const bool touches = p > 7.0 && p < 9.0;  // taps floor(p), floor(p)+1 with non-zero weight
    EXPECT_EQ(std::isnan(out[j]), touches) << "p = " << p;
  }
}

TEST(Streaming, IntegerOutputRoundsAndClamps) {
  // uint8 0 and 255 alternating, upsampled: every sample within [0, 255].
  Volume v{8, 1, 1, DT_UINT8, {0, 255, 0, 255, 0, 255, 0, 255}, false};
  const ResampleSetup s = setup_for(v, {0.25, 1, 1}, GridPolicy::origin, linear_kernel());
  const RunResult r = stream(v, s, 1, 1);
  // positions 0, .25, .5, .75, 1 ... -> 0, 63.75->64, 127.5->128, 191.25->191, 255
  ASSERT_GE(r.bytes.size(), 5u);
  EXPECT_EQ(r.bytes[0], 0);
  EXPECT_EQ(r.bytes[1], 64);
  EXPECT_EQ(r.bytes[2], 128);
  EXPECT_EQ(r.bytes[3], 191);
  EXPECT_EQ(r.bytes[4], 255);
  EXPECT_EQ((to_stored<std::int16_t, double>(40000.7)), 32767);
  EXPECT_EQ((to_stored<std::int16_t, double>(-40000.7)), -32768);
  EXPECT_EQ((to_stored<std::int16_t, float>(-2.5f)), -3);
  EXPECT_EQ((to_stored<std::uint64_t, double>(1e30)), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ((to_stored<std::int64_t, double>(-1e30)), std::numeric_limits<std::int64_t>::lowest());
  EXPECT_EQ((to_stored<std::int32_t, double>(std::nan(""))), 0);
  // The fast 8/16-bit path agrees with round-then-clamp everywhere.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-70000.0f, 70000.0f);
  for (int i = 0; i < 200000; ++i) {
    float x = i < 1000 ? static_cast<float>(i - 500) * 0.5f : u(rng);  // exact .5 ties first
    if (i % 1000 == 999) x = std::numeric_limits<float>::quiet_NaN();
    ASSERT_EQ(to_small_int<std::int16_t>(x), (to_stored<std::int16_t, float>(x))) << x;
    ASSERT_EQ(to_small_int<std::uint16_t>(x), (to_stored<std::uint16_t, float>(x))) << x;
    ASSERT_EQ(to_small_int<std::int8_t>(x / 256), (to_stored<std::int8_t, float>(x / 256))) << x;
    ASSERT_EQ(to_small_int<std::uint8_t>(x / 256), (to_stored<std::uint8_t, float>(x / 256))) << x;
  }
}

TEST(Encode, TowardZeroTruncatesClampsAndSnapsArithmeticNoise) {
  const std::vector<double> in = {2.7, -2.7, 4.999999999999999, -3.0000000000001, 1673.9999998, 1e9, -1e9,
                                  std::nan("")};
  std::vector<std::int16_t> out(in.size());
  encode<std::int16_t, double>(in.data(), reinterpret_cast<unsigned char*>(out.data()), in.size(),
                               IntRounding::toward_zero);
  EXPECT_EQ(out, (std::vector<std::int16_t>{2, -2, 5, -3, 1673, 32767, -32768, 0}));
  encode<std::int16_t, double>(in.data(), reinterpret_cast<unsigned char*>(out.data()), in.size());
  EXPECT_EQ(out, (std::vector<std::int16_t>{3, -3, 5, -3, 1674, 32767, -32768, 0})) << "nearest, the default";
}

// RGB24 / RGBA32: each channel resampled on its own, as three (four) uint8
// volumes would be.
TEST(Streaming, RgbChannelsResampleIndependently) {
  for (int C : {3, 4}) {
    std::vector<Volume> ch;
    for (int c = 0; c < C; ++c) ch.push_back(random_volume(13, 11, 17, DT_UINT8, false, 40u + static_cast<unsigned>(c)));
    Volume rgb{13, 11, 17, DT_UINT8, {}, false};
    const std::size_t n = ch[0].bytes.size();
    rgb.bytes.resize(n * static_cast<std::size_t>(C));
    for (std::size_t i = 0; i < n; ++i)
      for (int c = 0; c < C; ++c) rgb.bytes[i * static_cast<std::size_t>(C) + static_cast<std::size_t>(c)] = ch[static_cast<std::size_t>(c)].bytes[i];
    for (const Kernel* o : {&linear_kernel(), &cubic_kernel()}) {
      ResampleSetup s = setup_for(ch[0], {0.7, 1.3, 1.6}, GridPolicy::center, *o);
      std::vector<std::vector<unsigned char>> refs;
      for (const Volume& v : ch) refs.push_back(reference(v, s));
      s.channels = C;
      const RunResult r = stream(rgb, s, 2, 3);
      ASSERT_EQ(r.bytes.size(), refs[0].size() * static_cast<std::size_t>(C));
      for (std::size_t i = 0; i < refs[0].size(); ++i)
        for (int c = 0; c < C; ++c)
          ASSERT_EQ(r.bytes[i * static_cast<std::size_t>(C) + static_cast<std::size_t>(c)], refs[static_cast<std::size_t>(c)][i])
              << "channels " << C << " voxel " << i << " channel " << c;
      expect_within_bounds(r);
    }
  }
}

TEST(Streaming, MultipleVolumesStreamOneAfterAnother) {
  const Volume v = random_volume(10, 9, 12, DT_INT16, false, 1);
  const Volume w = random_volume(10, 9, 12, DT_INT16, false, 2);
  Volume both = v;
  both.bytes.insert(both.bytes.end(), w.bytes.begin(), w.bytes.end());
  const ResampleSetup s = setup_for(v, {1.3, 0.7, 1.9}, GridPolicy::center, linear_kernel());
  oneapi::tbb::global_control gc(oneapi::tbb::global_control::max_allowed_parallelism, 2);
  const SeparableTables tables = build_separable_tables(s);
  MemoryRequest q = memory_request(s, tables, 2, std::uint64_t{1} << 30);
  auto rs = make_pipeline(s, plan_memory(q), tables);
  MemorySource src(both.bytes);
  MemorySink sink;
  rs->run_volume(src, sink);
  rs->run_volume(src, sink);
  std::vector<unsigned char> expect = reference(v, s), second = reference(w, s);
  expect.insert(expect.end(), second.begin(), second.end());
  EXPECT_TRUE(sink.bytes == expect);
}

// A read that fails with tokens in flight: the error comes out, every
// buffer goes back (LeakSanitizer checks the process), and the same
// resampler then runs the next volume exactly.
TEST(Streaming, FailureWithTokensInFlightReleasesEverything) {
  const Volume v = random_volume(12, 10, 40, DT_FLOAT32, false, 3);
  const ResampleSetup s = setup_for(v, {1.0, 1.0, 0.5}, GridPolicy::center, cubic_kernel());
  oneapi::tbb::global_control gc(oneapi::tbb::global_control::max_allowed_parallelism, 2);
  const SeparableTables tables = build_separable_tables(s);
  MemoryRequest q = memory_request(s, tables, 2, std::uint64_t{1} << 30);
  q.block = 1;
  q.tokens = 4;
  const MemoryPlan plan = plan_memory(q);
  auto rs = make_pipeline(s, plan, tables);
  const std::vector<unsigned char> cut(v.bytes.begin(), v.bytes.begin() + static_cast<std::ptrdiff_t>(v.bytes.size() / 2));
  PipelineHooks slow;
  slow.before_z = [](std::int64_t) { std::this_thread::sleep_for(std::chrono::milliseconds(2)); };
  MemorySource bad(cut);
  MemorySink sink;
  EXPECT_THROW(rs->run_volume(bad, sink, slow), Error);
  MemorySource good(v.bytes);
  MemorySink out;
  rs->run_volume(good, out);
  EXPECT_TRUE(out.bytes == reference(v, s));
  EXPECT_EQ(rs->stats().pools.overflows, 0u);
  EXPECT_LE(rs->stats().pools.peak_live_tokens, plan.tokens);
}

}  // namespace
}  // namespace respace

namespace respace {
namespace {

// The gzip writer's chunk pool holds no more chunks than the memory plan
// declared for it (chunk_capacity), with stalled workers letting blocks pile
// up, and its output decodes to the bytes the memory sink gets.
TEST(Streaming, GzipChunkPoolStaysWithinItsDeclaredCapacity) {
  const Volume v = random_volume(96, 80, 48, DT_FLOAT32, false, 5);  // blocks of several 512 KiB chunks
  const ResampleSetup s = setup_for(v, {0.5, 0.5, 0.7}, GridPolicy::center, cubic_kernel());
  const RunResult plain = stream(v, s, 2, 7);
  for (GzipEngine engine : {GzipEngine::zlib, GzipEngine::isal, GzipEngine::libdeflate}) {
    if (!have_engine(engine)) continue;
    SCOPED_TRACE(to_string(engine));
    oneapi::tbb::global_control gc(oneapi::tbb::global_control::max_allowed_parallelism, 2);
    const SeparableTables tables = build_separable_tables(s);
    MemoryRequest q = memory_request(s, tables, 2, std::uint64_t{1} << 32);
    q.block = 7;
    q.gzip_output = true;
    q.deflater_bytes = deflater_bytes(engine, 1);
    const MemoryPlan plan = plan_memory(q);
    ASSERT_GT(plan.chunk_capacity, 0u);
    char tmpl[] = "/tmp/respace-chunks-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    SinkOptions so;
    so.gzip_level = 1;
    so.engine = engine;
    so.chunk_capacity = plan.chunk_capacity;
    auto sink = make_byte_sink(fd, tmpl, so);
    PipelineHooks hooks;
    hooks.before_z = [](std::int64_t k0) {
      if (k0 % 3 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    };
    testing::MemorySource src(v.bytes);
    auto rs = make_pipeline(s, plan, tables);
    rs->run_volume(src, *sink, hooks);
    sink->finish();
    ::close(fd);
    EXPECT_EQ(sink->chunk_overflows(), 0u);
    EXPECT_LE(sink->peak_chunks(), plan.chunk_capacity);
    EXPECT_GE(sink->peak_chunks(), 2u) << "the output spans several chunks";
    auto back = open_byte_source(tmpl, 0);
    std::vector<unsigned char> bytes(plain.bytes.size());
    back->read_exact(bytes.data(), bytes.size());
    back->finish();
    EXPECT_TRUE(bytes == plain.bytes);
    ::unlink(tmpl);
  }
}

}  // namespace
}  // namespace respace
