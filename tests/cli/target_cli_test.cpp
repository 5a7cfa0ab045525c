// SPDX-License-Identifier: MIT
// Issue 6 through the real binary: the general path's two sources (the ring,
// no file at all; the temporary file, used and removed; nothing left after a
// failure in either), its memory on a 90-degree
// rotation of a volume larger than the limit, --like copying REF's geometry
// bit for bit, and the errors of the new options.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/job.hpp"
#include "engine/target.hpp"
#include "io/nifti_header.hpp"
#include "cli_fixture.hpp"

namespace respace {
namespace {

namespace fs = std::filesystem;
using testing::ChildResult;
using testing::run_child;

class TargetCli : public testing::CliFixture {
protected:
  // W = A P A^-1: the world transform whose voxel map swaps x and z.
  std::string swap_xz_affine(const std::string& input) {
    Mat4 p{};
    p[0][2] = p[1][1] = p[2][0] = p[3][3] = 1;
    return world_file(input, p, "swap.txt");
  }
  // W = A R A^-1 about the volume's centre: a tilt of `degrees` about x.
  std::string tilt_affine(const std::string& input, double degrees) {
    const InputVolume v = InputVolume::open(file(input));
    const double t = degrees * M_PI / 180;
    Mat4 r = identity4();
    r[1][1] = r[2][2] = std::cos(t);
    r[1][2] = -std::sin(t);
    r[2][1] = std::sin(t);
    for (int i = 1; i < 3; ++i) {
      const double c = static_cast<double>(v.header().dim[i + 1] - 1) / 2;
      r[i][3] = c - r[i][1] * c - r[i][2] * c;
    }
    return world_file(input, r, "tilt.txt");
  }

private:
  // Writes W = A V A^-1 (A: the input's affine) as a plain --affine file,
  // so that the voxel map is V; returns its path.
  std::string world_file(const std::string& input, const Mat4& v, const std::string& name) {
    const Mat4 a = geometry_of(InputVolume::open(file(input)).header()).primary;
    const Mat4 w = multiply(a, multiply(v, invert(a, "A")));
    std::ofstream f(file(name));
    f.precision(17);
    for (const auto& row : w) f << row[0] << " " << row[1] << " " << row[2] << " " << row[3] << "\n";
    return file(name);
  }
};

TEST_F(TargetCli, GeneralPathFromTheRingWritesNoTemporaryFile) {
  make_volume("in.nii.gz", 24, 24, 24);
  const std::string w = swap_xz_affine("in.nii.gz");
  ChildResult r = respace({file("in.nii.gz"), file("out.nii.gz"), "--affine", w, "--order", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Path:    general"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("in a ring of 28 planes"), std::string::npos) << r.out;  // 24 + 2 x 2 margin
  EXPECT_EQ(r.out.find("Temp:"), std::string::npos) << r.out;
  EXPECT_EQ(entries(), (std::vector<std::string>{"in.nii.gz", "out.nii.gz", "swap.txt"}));
  // Order 0 at integer positions: out(i, j, k) = in(k, j, i) exactly.
  r = respace({file("in.nii.gz"), file("out0.nii"), "--affine", w, "--order", "0", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"general_input\":\"ring\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("temp_file"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"path\":\"general\""), std::string::npos) << r.out;
  const InputVolume in = InputVolume::open(file("in.nii.gz")), out = InputVolume::open(file("out0.nii"));
  std::vector<float> a(24 * 24 * 24), b(a.size());
  in.open_data()->read_exact(a.data(), a.size() * 4);
  out.open_data()->read_exact(b.data(), b.size() * 4);
  for (int k = 0; k < 24; ++k)
    for (int j = 0; j < 24; ++j)
      for (int i = 0; i < 24; ++i) ASSERT_EQ(b[static_cast<std::size_t>((k * 24 + j) * 24 + i)], a[static_cast<std::size_t>((i * 24 + j) * 24 + k)]);
}

// 160^3 float32 swapped x<->z reads all 162 planes (17 MiB) for every
// output plane: under 48M the coefficients go to the temporary file.
TEST_F(TargetCli, GeneralPathFromTheFileRemovesIt) {
  make_volume("in.nii.gz", 160, 160, 160);
  const std::string w = swap_xz_affine("in.nii.gz");
  ChildResult r = respace({file("in.nii.gz"), file("out.nii.gz"), "--affine", w, "--memory-limit", "48M",
                           "--threads", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"general_input\":\"temp_file\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"removed\":true"), std::string::npos) << r.out;
  EXPECT_EQ(entries(), (std::vector<std::string>{"in.nii.gz", "out.nii.gz", "swap.txt"}));
  r = respace({file("in.nii.gz"), file("out2.nii.gz"), "--affine", w, "--memory-limit", "48M", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("a ring would need 162 of the 162 coefficient planes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("coefficients) removed"), std::string::npos) << r.out;
}

TEST_F(TargetCli, FailureInTheGeneralPathLeavesNothing) {
  for (const auto& [n, limit] : {std::pair{24, "256M"}, std::pair{160, "48M"}}) {  // the ring, the file
    make_volume("in.nii.gz", n, n, n);
    // Truncate the gzip input: the coefficient pass fails part way.
    fs::resize_file(file("in.nii.gz"), fs::file_size(file("in.nii.gz")) / 2);
    const std::string w = swap_xz_affine("in.nii.gz");
    ChildResult r = respace({file("in.nii.gz"), file("out.nii.gz"), "--affine", w, "--memory-limit", limit,
                             "--threads", "2"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_EQ(entries(), (std::vector<std::string>{"in.nii.gz", "swap.txt"})) << n;
  }
}

TEST_F(TargetCli, LikeCopiesTheReferenceGeometryBitForBit) {
  make_volume("in.nii.gz", 20, 18, 16);
  make_volume("ref.nii", 11, 13, 9, "int16");
  ChildResult r = respace({file("in.nii.gz"), file("out.nii"), "--like", file("ref.nii"), "--order", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto header = [&](const std::string& name) {
    std::ifstream f(file(name), std::ios::binary);
    nifti_1_header h;
    f.read(reinterpret_cast<char*>(&h), sizeof h);
    return h;
  };
  const nifti_1_header ref = header("ref.nii"), out = header("out.nii");
  EXPECT_EQ(std::memcmp(ref.dim + 1, out.dim + 1, 3 * sizeof(short)), 0);
  EXPECT_EQ(std::memcmp(ref.pixdim, out.pixdim, 4 * sizeof(float)), 0);
  EXPECT_EQ(ref.qform_code, out.qform_code);
  EXPECT_EQ(ref.sform_code, out.sform_code);
  EXPECT_EQ(std::memcmp(&ref.quatern_b, &out.quatern_b, 6 * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(ref.srow_x, out.srow_x, 12 * sizeof(float)), 0);
  EXPECT_EQ(out.datatype, DT_FLOAT32);  // the input's type, not REF's
}

TEST_F(TargetCli, NewOptionErrors) {
  make_volume("in.nii.gz", 8, 8, 8);
  std::ofstream(file("bad.txt")) << "1 2 3\n";
  const std::vector<std::pair<std::vector<std::string>, int>> cases = {
      {{"--like", file("in.nii.gz"), "--spacing", "1", "1", "1"}, 2},
      {{"--crop", "0", "0", "0", "4", "4"}, 2},
      {{"--crop", "0", "0", "0", "4", "4", "9"}, 2},
      {{"--crop", "0", "0", "0", "4", "4", "4", "--crop-mm", "0", "0", "0", "1", "1", "1"}, 2},
      {{"--affine", file("bad.txt")}, 3},
      {{"--affine", file("missing.txt")}, 3},
      {{"--like", file("missing.nii.gz")}, 3},
  };
  for (const auto& [args, code] : cases) {
    std::vector<std::string> a = {file("in.nii.gz"), file("out.nii.gz")};
    a.insert(a.end(), args.begin(), args.end());
    ChildResult r = respace(a);
    EXPECT_EQ(r.exit_code, code) << args[0] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(file("out.nii.gz")));
  }
}

// Issue 6: on a volume four times the memory limit, a 90-degree rotation that
// turns slices into columns (through the temporary file) and a 5-degree tilt
// (through the ring) stay under the limit.
TEST_F(TargetCli, RotationAndTiltOfAVolumeLargerThanTheLimitStayUnderIt) {
#if defined(RESPACE_SANITIZED)
  GTEST_SKIP() << "resident memory is meaningless under AddressSanitizer";
#endif
  make_volume("big.nii.gz", 512, 512, 512);  // 512 MiB of float32
  const std::string w = swap_xz_affine("big.nii.gz");
  ChildResult r = respace({file("big.nii.gz"), file("out.nii.gz"), "--affine", w, "--memory-limit", "128M",
                           "--compression-level", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::uint64_t limit = std::uint64_t{128} << 20;
  EXPECT_LT(r.peak_rss, limit) << r.out;
  EXPECT_NE(r.out.find("Path:    general"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("coefficients) removed"), std::string::npos) << r.out;
  EXPECT_EQ(entries(), (std::vector<std::string>{"big.nii.gz", "out.nii.gz", "swap.txt"}));
  fs::remove(file("out.nii.gz"));  // room in the test's folder
  std::cout << "[ info ] 90-degree rotation: peak RSS " << (r.peak_rss >> 20)
            << " MiB for a 512 MiB volume, limit 128 MiB\n";
  // A 5-degree tilt about x reads ~50 planes at a time: the ring holds them,
  // and the run stays under the same limit.
  const std::string t = tilt_affine("big.nii.gz", 5);
  r = respace({file("big.nii.gz"), file("tilt.nii.gz"), "--affine", t, "--memory-limit", "128M",
               "--compression-level", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(r.peak_rss, limit) << r.out;
  EXPECT_NE(r.out.find("in a ring of"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Temp:"), std::string::npos) << r.out;
  std::cout << "[ info ] 5-degree tilt from the ring: peak RSS " << (r.peak_rss >> 20)
            << " MiB for a 512 MiB volume, limit 128 MiB\n";
}

}  // namespace
}  // namespace respace
