// SPDX-License-Identifier: MIT
// engine/pair_taps.hpp against the scalar sum it replaces: the general
// sampler's order (z, y, x; each sum from 0; taps of weight 0.0 skipped),
// bit for bit (a NaN's sign aside), on coefficients that hold NaN, infinities and -0, weights
// with zero taps on any axis, and groups it must refuse.
#include "engine/pair_taps.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace respace {
namespace {

#if RESPACE_PAIR_TAPS

// A row of `count` voxels over coefficient planes of ex x ey values.
struct Fixture {
  std::int64_t ex = 40, ey = 12, ez = 6, g = 1;
  std::vector<float> planes;
  std::vector<unsigned char> inside;
  std::vector<std::int64_t> first[3];
  std::vector<double> w[3];
  std::size_t count;

  explicit Fixture(std::size_t n, std::uint32_t seed) : count(n) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> v(-100.0f, 100.0f);
    planes.resize(static_cast<std::size_t>(ex * ey * ez));
    for (float& x : planes) x = v(rng);
    inside.assign(n, 1);
    std::uniform_int_distribution<std::int64_t> fx(-1, ex - 2 * g - 1), fy(-1, ey - 2 * g - 1);
    std::uniform_real_distribution<double> t(0.0, 1.0);
    for (int a = 0; a < 3; ++a) {
      first[a].resize(n);
      w[a].resize(2 * n);
    }
    const double tz = t(rng);
    for (std::size_t i = 0; i < n; ++i) {
      first[0][i] = fx(rng);
      first[1][i] = fy(rng);
      first[2][i] = 2;
      for (int a = 0; a < 2; ++a) {
        const double u = t(rng);
        w[a][2 * i] = 1 - u;
        w[a][2 * i + 1] = u;
      }
      w[2][2 * i] = 1 - tz;
      w[2][2 * i + 1] = tz;
    }
  }
  const float* plane(std::int64_t z) const { return planes.data() + z * ex * ey; }
  PairRow row() const {
    return {inside.data(), {first[0].data(), first[1].data(), first[2].data()}, {w[0].data(), w[1].data(), w[2].data()}, g, ex};
  }
  // The general sampler's scalar sum for voxel i.
  float scalar(std::size_t i) const {
    float sum = 0;
    for (int tz = 0; tz < 2; ++tz) {
      if (w[2][2 * i + tz] == 0.0) continue;
      const float* pz = plane(first[2][i] + g + tz);
      float sy = 0;
      for (int t = 0; t < 2; ++t) {
        if (w[1][2 * i + t] == 0.0) continue;
        const float* py = pz + (first[1][i] + g + t) * ex;
        float sx = 0;
        for (int u = 0; u < 2; ++u)
          if (w[0][2 * i + u] != 0.0) sx += static_cast<float>(w[0][2 * i + u]) * py[first[0][i] + g + u];
        sy += static_cast<float>(w[1][2 * i + t]) * sx;
      }
      sum += static_cast<float>(w[2][2 * i + tz]) * sy;
    }
    return sum;
  }
  // Runs pair_taps from voxel 0; returns the voxels it did.
  std::size_t run(std::vector<float>& out, std::int64_t& lo, std::int64_t& hi) const {
    out.assign(count, 12345.0f);
    lo = INT64_MAX;
    hi = INT64_MIN;
    return pair_taps(row(), 0, count, out.data(), [&](std::int64_t z) { return plane(z); }, lo, hi);
  }
};

std::uint32_t bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// The same bits, but for a NaN's sign and payload: where two NaNs meet,
// x86 returns the first operand's, and the compiler orders a scalar add's
// operands as it likes.
void expect_same_bits(const Fixture& f, const std::vector<float>& out, std::size_t done) {
  for (std::size_t i = 0; i < done; ++i) {
    const float want = f.scalar(i);
    if (std::isnan(want))
      EXPECT_TRUE(std::isnan(out[i])) << "voxel " << i;
    else
      EXPECT_EQ(bits(out[i]), bits(want)) << "voxel " << i << ": " << out[i] << " vs " << want;
  }
}

class PairTaps : public ::testing::Test {
protected:
  void SetUp() override {
    if (!pair_taps_available()) GTEST_SKIP() << "this CPU has no AVX2: the sampler uses its scalar loop only";
  }
};

TEST_F(PairTaps, EqualsTheScalarSumBitForBit) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    Fixture f(64, seed);
    std::vector<float> out;
    std::int64_t lo, hi;
    ASSERT_EQ(f.run(out, lo, hi), 64u);
    expect_same_bits(f, out, 64);
    EXPECT_EQ(lo, 3);  // first z 2 + margin 1, and the plane after it
    EXPECT_EQ(hi, 4);
  }
}

TEST_F(PairTaps, SpecialValuesAndZeroTapsKeepTheScalarBits) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    Fixture f(48, seed);
    std::mt19937 rng(seed * 7);
    // Sprinkle NaN, +-inf, -0 and +0 over the coefficients.
    const float special[] = {nan, inf, -inf, -0.0f, 0.0f};
    for (std::size_t k = 0; k < f.planes.size(); k += 1 + rng() % 5) f.planes[k] = special[rng() % 5];
    // Zero taps: each voxel's x or y pair may have one weight 0.0 (a sample
    // on a grid line), which the scalar loop skips: a NaN there stays out.
    for (std::size_t i = 0; i < f.count; ++i)
      for (int a = 0; a < 2; ++a)
        switch (rng() % 4) {
          case 0: f.w[a][2 * i] = 1.0, f.w[a][2 * i + 1] = 0.0; break;
          case 1: f.w[a][2 * i] = 0.0, f.w[a][2 * i + 1] = 1.0; break;
          default: break;
        }
    // z: both taps, the first only, the second only.
    const double zw[3][2] = {{0.25, 0.75}, {1.0, 0.0}, {0.0, 1.0}};
    for (const auto& z : zw) {
      for (std::size_t i = 0; i < f.count; ++i) f.w[2][2 * i] = z[0], f.w[2][2 * i + 1] = z[1];
      std::vector<float> out;
      std::int64_t lo, hi;
      ASSERT_EQ(f.run(out, lo, hi), 48u);
      expect_same_bits(f, out, 48);
    }
  }
}

TEST_F(PairTaps, RefusesGroupsItCannotSumExactly) {
  std::vector<float> out;
  std::int64_t lo, hi;
  {  // a voxel outside the field of view
    Fixture f(24, 3);
    f.inside[10] = 0;
    EXPECT_EQ(f.run(out, lo, hi), 8u);  // the first group only
    expect_same_bits(f, out, 8);
    EXPECT_EQ(out[8], 12345.0f);
  }
  {  // two first z taps in one group
    Fixture f(16, 4);
    f.first[2][3] = 1;
    EXPECT_EQ(f.run(out, lo, hi), 0u);
    EXPECT_EQ(lo, INT64_MAX);  // nothing read, nothing counted
  }
  {  // different z weights in one group
    Fixture f(16, 5);
    f.w[2][2 * 12] = 0.5, f.w[2][2 * 12 + 1] = 0.5;
    EXPECT_EQ(f.run(out, lo, hi), 8u);
  }
  {  // a weight that is not 0.0 as a double but is 0 as a float
    Fixture f(16, 6);
    f.w[0][2 * 5] = 1.0, f.w[0][2 * 5 + 1] = 1e-300;
    EXPECT_EQ(f.run(out, lo, hi), 0u);
  }
  {  // fewer than eight voxels left
    Fixture f(7, 7);
    EXPECT_EQ(f.run(out, lo, hi), 0u);
  }
}

#else

TEST(PairTaps, NotBuiltOnThisTarget) {
  GTEST_SKIP() << "engine/pair_taps.hpp is x86-64 only: the sampler uses its scalar loop";
}

#endif

}  // namespace
}  // namespace respace
