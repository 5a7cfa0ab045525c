// SPDX-License-Identifier: MIT
// The --qc slices (cli/qc.hpp) gathered from a byte stream fed in pieces of
// any size, against the slices cut from the whole volume.
#include <gtest/gtest.h>
#include <nifti/nifti1.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "cli/qc.hpp"

namespace respace {
namespace {

TEST(QcSlices, AnySplitOfTheStreamGivesTheMidSlices) {
  const std::int64_t nx = 13, ny = 7, nz = 5, volumes = 2;
  std::vector<std::int16_t> v(static_cast<std::size_t>(nx * ny * nz * volumes));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::int16_t>(i * 37 % 2001 - 1000);
  const auto* bytes = reinterpret_cast<const unsigned char*>(v.data());
  const auto at = [&](std::int64_t i, std::int64_t j, std::int64_t k) {
    return static_cast<float>(v[static_cast<std::size_t>((k * ny + j) * nx + i)]);
  };
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    SliceSet s({nx, ny, nz}, DT_INT16, false, 1);
    std::size_t pos = 0;
    const std::size_t total = v.size() * 2;
    while (pos < total) {
      const std::size_t n = std::min<std::size_t>(total - pos, std::uniform_int_distribution<std::size_t>(1, 97)(rng));
      s.feed(bytes + pos, n);
      pos += n;
    }
    for (std::int64_t j = 0; j < ny; ++j)
      for (std::int64_t i = 0; i < nx; ++i) ASSERT_EQ(s.axial[static_cast<std::size_t>(j * nx + i)], at(i, j, nz / 2));
    for (std::int64_t k = 0; k < nz; ++k) {
      for (std::int64_t i = 0; i < nx; ++i) ASSERT_EQ(s.coronal[static_cast<std::size_t>(k * nx + i)], at(i, ny / 2, k));
      for (std::int64_t j = 0; j < ny; ++j) ASSERT_EQ(s.sagittal[static_cast<std::size_t>(k * ny + j)], at(nx / 2, j, k));
    }
  }
}

TEST(QcSlices, RgbIsTheMeanOfItsChannelsAndSwappedBytesAreRead) {
  const unsigned char rgb[2 * 3] = {30, 60, 90, 0, 3, 255};
  SliceSet s({2, 1, 1}, DT_UINT8, false, 3);
  s.feed(rgb, sizeof rgb);
  EXPECT_FLOAT_EQ(s.axial[0], 60.0f);
  EXPECT_FLOAT_EQ(s.axial[1], 86.0f);
  const unsigned char big[2] = {0x01, 0x02};  // 0x0102 stored big-endian
  SliceSet b({1, 1, 1}, DT_INT16, true, 1);
  b.feed(big, 2);
  EXPECT_FLOAT_EQ(b.axial[0], 258.0f);
}

}  // namespace
}  // namespace respace
