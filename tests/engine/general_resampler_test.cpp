// SPDX-License-Identifier: MIT
// The general path's two sources of coefficients (engine/general_resampler.hpp):
// the ring gives the same bytes as the temporary file for rotations, tilts,
// permutations and flips, at orders 0-3, for every volume of a 4-D run; the
// ring holds every plane a block reads when it is emitted, whatever the
// sizes of the writes that feed it; and the planner takes the ring only when
// it fits the limit.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "engine/coefficient_ring.hpp"
#include "engine/general_resampler.hpp"
#include "engine/sample_codec.hpp"
#include "tests/engine/kernel_of.hpp"
#include "engine/target.hpp"
#include "memory_streams.hpp"

namespace respace {
namespace {

using testing::MemorySink;
using testing::MemorySource;

Mat4 rotation(int a, int b, double degrees, std::array<double, 3> centre) {
  const double t = degrees * M_PI / 180;
  Mat4 r = identity4();
  r[a][a] = r[b][b] = std::cos(t);
  r[a][b] = -std::sin(t);
  r[b][a] = std::sin(t);
  for (int i = 0; i < 3; ++i) {  // about the centre: c - R c
    r[i][3] = centre[static_cast<std::size_t>(i)];
    for (int j = 0; j < 3; ++j) r[i][3] -= r[i][j] * centre[static_cast<std::size_t>(j)];
  }
  return r;
}

Mat4 permutation(int x, int y, int z) {
  Mat4 p{};
  p[0][x] = p[1][y] = p[2][z] = p[3][3] = 1;
  return p;
}

Mat4 flip_z(std::int64_t nz) {
  Mat4 f = identity4();
  f[2][2] = -1;
  f[2][3] = static_cast<double>(nz - 1) + 0.25;
  return f;
}

struct Case {
  const char* name;
  Mat4 world;  // the input's affine is the identity, so the voxel map is W
};

std::vector<Case> cases(std::array<std::int64_t, 3> n) {
  std::array<double, 3> c{};
  for (std::size_t k = 0; k < 3; ++k) c[k] = static_cast<double>(n[k] - 1) / 2;
  return {{"rotate 4 deg about z", rotation(0, 1, 4, c)},
          {"tilt 9 deg about x", rotation(1, 2, 9, c)},
          {"tilt -6 deg about y", rotation(2, 0, -6, c)},
          {"swap x and z", permutation(2, 1, 0)},
          {"cycle x y z", permutation(1, 2, 0)},
          {"flip z", flip_z(n[2])}};
}

GeneralSetup setup_for(std::array<std::int64_t, 3> n, const Mat4& world, const Kernel& kernel, Boundary boundary) {
  InputGeometry g;
  g.n = n;
  TargetRequest req;
  req.world = world;
  const TargetPlan t = plan_target(g, req);
  EXPECT_FALSE(t.separable);
  GeneralSetup s;
  s.base.grid = t.grid;
  s.base.kernel = &kernel;
  s.base.boundary = boundary;
  s.base.fill = -3.5;
  s.voxel_map = t.voxel_map;
  s.temp_dir = ::testing::TempDir();
  return s;
}

SeparableTables coefficient_tables(const GeneralSetup& s) { return build_separable_tables(coefficient_setup(s)); }

std::vector<unsigned char> random_floats(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-100, 100);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  std::vector<unsigned char> bytes(n * 4);
  std::memcpy(bytes.data(), v.data(), bytes.size());
  return bytes;
}

// Runs `volumes` 3-D volumes through one resampler; returns the output and
// whether the plan took the ring. A `tile` edge other than 0 replaces the
// plan's and plans for one thread: tiles then span whole blocks of planes.
std::pair<std::vector<unsigned char>, bool> run(const GeneralSetup& s, const std::vector<unsigned char>& in,
                                                int volumes, int tile = 0) {
  const auto coef = std::make_shared<const SeparableTables>(coefficient_tables(s));
  GeneralMemory plan = plan_general_memory(s, *coef, 2, std::uint64_t{256} << 20, false, 0);
  if (tile != 0) {
    plan.tile = tile;
    plan.threads = 1;
  }
  std::unique_ptr<Resampler> r = make_general_resampler(s, plan, coef);
  MemorySource src(in);
  MemorySink out;
  for (int v = 0; v < volumes; ++v) r->run_volume(src, out);
  EXPECT_EQ(src.position(), in.size());
  const RunStats st = r->stats();
  EXPECT_EQ(!st.temp_file, plan.ring);
  if (!plan.ring) {
    EXPECT_TRUE(st.temp_file->removed);
  }
  return {out.bytes, plan.ring};
}

TEST(GeneralResampler, RingTemporaryFileAndTileShapesGiveTheSameBytes) {
  const std::array<std::int64_t, 3> n{23, 19, 17};
  const std::size_t voxels = static_cast<std::size_t>(n[0] * n[1] * n[2]);
  const std::vector<unsigned char> in = random_floats(2 * voxels, 11);  // two volumes
  for (const Case& c : cases(n))
    for (const Kernel* o : {&nearest_kernel(), &linear_kernel(), &quadratic_kernel(), &cubic_kernel()})
      for (Boundary b : {Boundary::nearest, Boundary::mirror, Boundary::constant}) {
        SCOPED_TRACE(std::string(c.name) + ", kernel " + o->name() + ", boundary " +
                     to_string(b));
        GeneralSetup s = setup_for(n, c.world, *o, b);
        const auto [ring, used_ring] = run(s, in, 2);
        s.allow_ring = false;
        const auto [file, used_ring_too] = run(s, in, 2);
        // 8 x 8 tiles as deep as a block (the plan's 64 x 64 tiles cover a
        // whole plane here, so they are only a few planes deep for 2 threads).
        const auto [deep, deep_ring] = run(s, in, 2, 8);
        EXPECT_TRUE(used_ring);
        EXPECT_FALSE(used_ring_too);
        EXPECT_FALSE(deep_ring);
        ASSERT_EQ(ring.size(), 2 * voxels * 4);
        EXPECT_TRUE(ring == file);
        EXPECT_TRUE(deep == file);
        // The second volume's values differ: the ring starts afresh.
        EXPECT_FALSE(std::equal(ring.begin(), ring.begin() + static_cast<std::ptrdiff_t>(voxels * 4),
                                ring.begin() + static_cast<std::ptrdiff_t>(voxels * 4)));
      }
}

// Plane z holds the value z everywhere; each emitted block checks that the
// ring gives back every plane its window names.
TEST(CoefficientRing, HoldsEveryPlaneABlockReads) {
  const std::int64_t n[3] = {30, 26, 40}, m[3] = {30, 26, 40};
  const int margin = 2;
  const std::int64_t extended = n[2] + 2 * margin;
  const std::size_t plane_values = 9;
  const std::array<double, 3> c{14.5, 12.5, 19.5};
  for (const Mat4& v : {rotation(1, 2, 12, c), rotation(2, 0, -20, c), permutation(2, 1, 0), flip_z(n[2]),
                        rotation(0, 1, 30, c)})
    for (int block : {1, 3, 16})
      {
        const RingPlan plan = plan_ring(v, n, m, cubic_kernel(), block);
        ASSERT_GE(plan.planes, 1);
        ASSERT_LE(plan.planes, extended);
        std::vector<std::int64_t> emitted;
        CoefficientRing* self = nullptr;
        CoefficientRing ring(plane_values * 4, plan, [&](std::int64_t b) {
          emitted.push_back(b);
          const PlaneRange& r = plan.need[static_cast<std::size_t>(b)];
          if (!r.any) return;
          EXPECT_TRUE(self->holds(r.lo, r.hi));
          for (std::int64_t z = r.lo; z <= r.hi; ++z)
            EXPECT_EQ(reinterpret_cast<const float*>(self->plane(z))[plane_values - 1], static_cast<float>(z))
                << "block " << b << " plane " << z;
        });
        self = &ring;
        for (int volume = 0; volume < 2; ++volume) {
          ring.reset();
          emitted.clear();
          for (std::int64_t z = 0; z < extended; ++z) {
            const std::vector<float> plane(plane_values, static_cast<float>(z));
            ring.take_plane(z, reinterpret_cast<const unsigned char*>(plane.data()), plane_values * 4);
          }
          ring.finish();
          ASSERT_EQ(emitted.size(), plan.need.size());
          for (std::size_t b = 0; b < emitted.size(); ++b) EXPECT_EQ(emitted[b], static_cast<std::int64_t>(b));
        }
      }
}

TEST(CoefficientRing, HoldsAFewPlanesForATiltAndEveryPlaneForAFlip) {
  const std::int64_t n[3] = {512, 512, 512};
  const std::array<double, 3> c{255.5, 255.5, 255.5};
  // A rotation in the x-y plane reads one plane's two taps per output
  // plane, and one more: the window is widened by 1e-6 for rounding.
  EXPECT_EQ(plan_ring(rotation(0, 1, 5, c), n, n, linear_kernel(), 1).planes, 3);
  // A 5-degree tilt: the window spans 511 sin 5 = 44.5 planes plus the taps.
  const std::int64_t tilt = plan_ring(rotation(1, 2, 5, c), n, n, cubic_kernel(), 1).planes;
  EXPECT_GE(tilt, 48);
  EXPECT_LE(tilt, 50);
  // Slices into columns, or z reversed: everything, before the first block.
  EXPECT_EQ(plan_ring(permutation(2, 1, 0), n, n, linear_kernel(), 1).planes, 514);
  // (The flip's quarter-voxel shift keeps positions >= 0.25: the margin
  // plane below 0 is never read.)
  EXPECT_EQ(plan_ring(flip_z(512), n, n, linear_kernel(), 4).planes, 513);
}

TEST(GeneralResampler, PlannerTakesTheRingOnlyWhenItFits) {
  const std::array<std::int64_t, 3> n{512, 512, 512};
  const std::array<double, 3> c{255.5, 255.5, 255.5};
  const GeneralSetup tilt = setup_for(n, rotation(1, 2, 5, c), linear_kernel(), Boundary::nearest);
  const GeneralSetup turn = setup_for(n, permutation(2, 1, 0), linear_kernel(), Boundary::nearest);
  for (std::uint64_t limit : {std::uint64_t{128} << 20, std::uint64_t{256} << 20, std::uint64_t{1} << 30}) {
    const GeneralMemory a = plan_general_memory(tilt, coefficient_tables(tilt), 2, limit, true, 300 << 10);
    EXPECT_TRUE(a.ring) << a.source_why;
    EXPECT_LE(a.total() + kProcessReserve, limit);
    EXPECT_EQ(a.ring_bytes, static_cast<std::uint64_t>(a.ring_planes) * 514 * 514 * 4);
    // 514 planes of 1 MiB: only a limit above half a GiB holds them.
    const GeneralMemory b = plan_general_memory(turn, coefficient_tables(turn), 2, limit, true, 300 << 10);
    EXPECT_EQ(b.ring, limit > (std::uint64_t{600} << 20)) << b.source_why;
    EXPECT_LE(b.total() + kProcessReserve, limit);
  }
}

// The default limit raised to fit (cli/job.cpp) asks for the smallest
// working set: one plane per block, one pipeline token, and the ring only
// when it needs less than the temporary file.
TEST(GeneralResampler, SmallestPlanTakesTheLeastMemory) {
  const std::array<std::int64_t, 3> n{512, 512, 512};
  const std::array<double, 3> c{255.5, 255.5, 255.5};
  const GeneralSetup turn = setup_for(n, permutation(2, 1, 0), linear_kernel(), Boundary::nearest);
  const GeneralSetup tilt = setup_for(n, rotation(1, 2, 5, c), linear_kernel(), Boundary::nearest);
  for (const GeneralSetup* s : {&turn, &tilt}) {
    const GeneralMemory any = plan_general_memory(*s, coefficient_tables(*s), 1, UINT64_MAX, true, 300 << 10);
    const GeneralMemory least = plan_general_memory(*s, coefficient_tables(*s), 1, UINT64_MAX, true, 300 << 10, true);
    EXPECT_TRUE(any.ring);  // unlimited: the ring always fits
    EXPECT_EQ(least.block, 1);
    EXPECT_EQ(least.coefficients.tokens, 1);
    EXPECT_EQ(least.coefficients.block, 1);
    EXPECT_LT(least.total(), any.total()) << least.source_why;
  }
  // Every plane for every output plane: the file needs less than a ring of
  // 514 MiB.
  EXPECT_FALSE(plan_general_memory(turn, coefficient_tables(turn), 1, UINT64_MAX, true, 300 << 10, true).ring);
  EXPECT_LT(plan_general_memory(turn, coefficient_tables(turn), 1, UINT64_MAX, true, 300 << 10, true).total(), std::uint64_t{128} << 20);
}

}  // namespace
}  // namespace respace
