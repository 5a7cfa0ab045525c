// SPDX-License-Identifier: MIT
// --antialias through the real binary: the report and --json name each
// axis's filter, a bad mode is refused, and the memory stays flat as the
// reduction (and with it the Gaussian's halo) grows from 2x to 32x.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

#include "cli_fixture.hpp"

namespace respace {
namespace {

using testing::ChildResult;

class AntialiasCli : public testing::CliFixture {};

TEST_F(AntialiasCli, ReportAndJsonNameEachAxisFilter) {
  make_volume("in.nii.gz", 40, 40, 40);
  ChildResult r = respace({file("in.nii.gz"), file("out.nii.gz"), "--spacing", "0.15", "0.015", "0.4", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // make_volume writes 0.1 mm voxels: k = 1.5, 0.15, 4.
  EXPECT_NE(r.out.find("Antialias        auto (along the output axes): x none (k 1.5), y none (k 0.15), z gauss "
                       "(k 4, sigma 1.645, radius 7)"),
            std::string::npos)
      << r.out;
  r = respace({file("in.nii.gz"), file("out.nii.gz"), "--spacing", "0.2", "0.2", "0.2", "--antialias", "box",
               "--dry-run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"antialias\":{\"along\":\"output_axes\",\"axes\":[{\"filter\":\"box\",\"k\":1.99999"),
            std::string::npos)
      << r.out;  // k from the header's float32 spacings
  std::size_t boxes = 0;
  for (std::size_t at = r.out.find("\"filter\":\"box\""); at != std::string::npos;
       at = r.out.find("\"filter\":\"box\"", at + 1))
    ++boxes;
  EXPECT_EQ(boxes, 3u) << r.out;
  r = respace({file("in.nii.gz"), file("out.nii.gz"), "--spacing", "0.2", "0.2", "0.2", "--antialias", "lanczos"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--antialias must be one of auto, off, gauss, box"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(file("out.nii.gz")));
}

TEST_F(AntialiasCli, PeakMemoryIsFlatInTheReduction) {
#if defined(RESPACE_SANITIZED)
  GTEST_SKIP() << "resident memory is meaningless under AddressSanitizer";
#endif
  make_volume("in.nii.gz", 512, 512, 256, "uint16");  // 128 MiB of planes of 512 KiB
  std::uint64_t lo = UINT64_MAX, hi = 0;
  for (const char* k : {"0.2", "0.8", "3.2"}) {  // k = 2, 8, 32 on 0.1 mm voxels
    ChildResult r = respace({file("in.nii.gz"), file("out.nii.gz"), "--spacing", k, k, k, "--force"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::cout << "[ info ] spacing " << k << " mm: peak RSS " << (r.peak_rss >> 20) << " MiB\n";
    EXPECT_LT(r.peak_rss, std::uint64_t{256} << 20) << "under the default limit";
    lo = std::min(lo, r.peak_rss);
    hi = std::max(hi, r.peak_rss);
  }
  EXPECT_LT(static_cast<double>(hi), 1.25 * static_cast<double>(lo)) << "flat in k";
}

}  // namespace
}  // namespace respace
