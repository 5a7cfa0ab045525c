// SPDX-License-Identifier: MIT
// Adding a kernel is one file: this one. A test-only 2-tap box (the mean of
// the two samples either side of p) declares its facts (engine/kernel.hpp)
// and resamples through the real planner (engine/planner.hpp) and both
// paths: the separable pipeline and the general path, each against a
// direct evaluation of the same kernel over the whole volume.
#include <gtest/gtest.h>

#include <oneapi/tbb/global_control.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/planner.hpp"
#include "engine/target.hpp"
#include "tests/engine/memory_streams.hpp"

namespace respace {
namespace {

class TwoTapBox final : public Kernel {
public:
  const char* name() const override { return "box2"; }
  std::string describe() const override { return "2-tap box (test only)"; }
  Boundary default_boundary() const override { return Boundary::nearest; }
  int support(double) const override { return 2; }
  void weights(const double* p, std::size_t count, double, std::int64_t* first, double* w) const override {
    for (std::size_t i = 0; i < count; ++i) {
      first[i] = static_cast<std::int64_t>(std::floor(p[i]));
      w[2 * i] = w[2 * i + 1] = 0.5;
    }
  }
};

const TwoTapBox kBox;

struct Volume {
  std::int64_t n[3];
  std::vector<float> v;
  float at(std::int64_t x, std::int64_t y, std::int64_t z) const {  // the nearest boundary rule
    x = std::clamp<std::int64_t>(x, 0, n[0] - 1);
    y = std::clamp<std::int64_t>(y, 0, n[1] - 1);
    z = std::clamp<std::int64_t>(z, 0, n[2] - 1);
    return v[static_cast<std::size_t>((z * n[1] + y) * n[0] + x)];
  }
};

Volume random_volume(std::int64_t nx, std::int64_t ny, std::int64_t nz) {
  Volume vol{{nx, ny, nz}, {}};
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-50, 50);
  vol.v.resize(static_cast<std::size_t>(nx * ny * nz));
  for (float& x : vol.v) x = u(rng);
  return vol;
}

// The box at input position p (x, y, z), or the fill value outside the
// field of view [-0.5, n - 0.5].
double expected(const Volume& vol, const double p[3], double fill) {
  std::int64_t f[3];
  for (int a = 0; a < 3; ++a) {
    if (!(p[a] >= -0.5 && p[a] <= static_cast<double>(vol.n[a]) - 0.5)) return fill;
    f[a] = static_cast<std::int64_t>(std::floor(p[a]));
  }
  double s = 0;
  for (int dz = 0; dz < 2; ++dz)
    for (int dy = 0; dy < 2; ++dy)
      for (int dx = 0; dx < 2; ++dx) s += vol.at(f[0] + dx, f[1] + dy, f[2] + dz);
  return s / 8;
}

std::vector<float> run(const ResamplePlan& plan, const Volume& vol) {
  oneapi::tbb::global_control gc(oneapi::tbb::global_control::max_allowed_parallelism, 2);
  std::vector<unsigned char> in(vol.v.size() * 4);
  std::memcpy(in.data(), vol.v.data(), in.size());
  testing::MemorySource src(in);
  testing::MemorySink sink;
  make_resampler(plan)->run_volume(src, sink);
  std::vector<float> out(sink.bytes.size() / 4);
  std::memcpy(out.data(), sink.bytes.data(), sink.bytes.size());
  return out;
}

ResampleRequest request(const Volume& vol, const TargetRequest& target, TargetPlan& t) {
  InputGeometry g;
  g.n = {vol.n[0], vol.n[1], vol.n[2]};
  t = plan_target(g, target);
  ResampleRequest q;
  q.setup.grid = t.grid;
  q.setup.kernel = &kBox;
  q.setup.boundary = kBox.default_boundary();
  q.setup.fill = -7;
  q.separable = t.separable;
  q.voxel_map = t.voxel_map;
  q.threads = 2;
  q.memory_limit = std::uint64_t{64} << 20;
  q.temp_dir = ::testing::TempDir();
  return q;
}

TEST(BoxKernel, SeparablePathThroughThePlannerAndPipeline) {
  const Volume vol = random_volume(13, 11, 17);
  TargetRequest target;
  target.grid.spacing = {1.6, 0.7, 1.3};
  TargetPlan t;
  const ResamplePlan plan = plan_resample(request(vol, target, t));
  ASSERT_EQ(plan.path, ResamplePath::separable);
  EXPECT_EQ(plan.tables->x.max_taps, 2) << "the table is as wide as the kernel";
  const std::vector<float> out = run(plan, vol);
  const auto& ax = plan.setup.grid.axis;
  ASSERT_EQ(out.size(), static_cast<std::size_t>(ax[0].m * ax[1].m * ax[2].m));
  for (std::int64_t k = 0; k < ax[2].m; ++k)
    for (std::int64_t j = 0; j < ax[1].m; ++j)
      for (std::int64_t i = 0; i < ax[0].m; ++i) {
        const double p[3] = {ax[0].position(i), ax[1].position(j), ax[2].position(k)};
        ASSERT_NEAR(out[static_cast<std::size_t>((k * ax[1].m + j) * ax[0].m + i)], expected(vol, p, -7), 1e-4)
            << i << " " << j << " " << k;
      }
}

TEST(BoxKernel, GeneralPathThroughThePlanner) {
  const Volume vol = random_volume(12, 14, 10);
  TargetRequest target;  // 20 degrees about z, about the volume's centre
  const double c = std::cos(20 * M_PI / 180), s = std::sin(20 * M_PI / 180);
  target.world = Mat4{{{c, -s, 0, 5.5 - c * 5.5 + s * 6.5}, {s, c, 0, 6.5 - s * 5.5 - c * 6.5}, {0, 0, 1, 0}, {0, 0, 0, 1}}};
  TargetPlan t;
  for (bool ring : {true, false}) {
    ResampleRequest q = request(vol, target, t);
    q.allow_ring = ring;
    const ResamplePlan plan = plan_resample(q);
    ASSERT_EQ(plan.path, ResamplePath::general);
    EXPECT_EQ(plan.general_memory.ring, ring);
    const std::vector<float> out = run(plan, vol);
    const auto& ax = plan.setup.grid.axis;
    const Mat4& v = t.voxel_map;
    for (std::int64_t k = 0; k < ax[2].m; ++k)
      for (std::int64_t j = 0; j < ax[1].m; ++j)
        for (std::int64_t i = 0; i < ax[0].m; ++i) {
          double p[3];
          for (int a = 0; a < 3; ++a)
            p[a] = v[a][0] * static_cast<double>(i) + v[a][1] * static_cast<double>(j) +
                   v[a][2] * static_cast<double>(k) + v[a][3];
          ASSERT_NEAR(out[static_cast<std::size_t>((k * ax[1].m + j) * ax[0].m + i)], expected(vol, p, -7), 1e-4)
              << (ring ? "ring " : "file ") << i << " " << j << " " << k;
        }
  }
}

}  // namespace
}  // namespace respace
