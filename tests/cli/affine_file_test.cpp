// SPDX-License-Identifier: MIT
// cli/affine_file: plain 4x4/3x4 text, ITK text transforms (LPS about their
// centre) and FSL FLIRT matrices read into world transforms, and the faults
// each reader refuses.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/affine_file.hpp"
#include "engine/target.hpp"
#include "io/error.hpp"

namespace respace {
namespace {

// Each test gets its own directory: ctest runs the tests of this binary as
// parallel processes, and a shared file name let one test delete another's.
class AffineFile : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/respace-affine-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    path_ = dir_ + "/affine-" + std::to_string(++count_) + ".txt";
    std::ofstream(path_) << text;
    return path_;
  }
  std::string dir_, path_;
  int count_ = 0;
};

TEST_F(AffineFile, PlainFourByFourAndThreeByFour) {
  Mat4 m = read_affine_file(write("# a comment\n1 0 0 2.5\n0,1,0,-1\n0 0 1 0\n0 0 0 1\n"));
  EXPECT_EQ(m[0][3], 2.5);
  EXPECT_EQ(m[1][3], -1);
  m = read_affine_file(write("0 1 0 0  1 0 0 0  0 0 1 3"));
  EXPECT_EQ(m[0][1], 1);
  EXPECT_EQ(m[2][3], 3);
  EXPECT_EQ(m[3][3], 1);
}

TEST_F(AffineFile, BadFilesAreRefusedWithTheirFault) {
  for (const std::string& text : {std::string("1 0 0\n0 1 0\n"), std::string("1 0 0 0 0 1 0 0 0 0 1 0 0 0 1 1"),
                                  std::string("1 0 0 x 0 1 0 0 0 0 1 0"), std::string("1 0 0 nan 0 1 0 0 0 0 1 0"),
                                  std::string("MATLAB 5.0\0binary", 17),
                                  std::string("#Insight Transform File V1.0\nTransform: BSplineTransform_double_3_3\n")}) {
    try {
      read_affine_file(write(text));
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
      EXPECT_NE(std::string(e.what()).find(path_), std::string::npos);
    }
  }
  EXPECT_THROW(read_affine_file("/nonexistent/affine.txt"), Error);
}

// The identity FLIRT matrix between a grid stored neurologically (positive
// determinant: FSL mirrors i) and the same grid stored radiologically is the
// world identity; with no transform at all FSL mirrors nothing.
TEST_F(AffineFile, FlirtMatrixFollowsFslCoordinates) {
  InputGeometry in;
  in.n = {10, 8, 6};
  in.pixdim = {1.5, 2, 2.5};
  in.has_sform = true;
  in.sform = identity4();
  for (int k = 0; k < 3; ++k) in.sform[k][k] = in.pixdim[static_cast<std::size_t>(k)];
  in.sform[0][3] = -7;
  in.primary = in.sform;
  InputGeometry ref = in;
  ref.sform[0][0] = -1.5;  // voxel i of REF is voxel 9 - i of the input
  ref.sform[0][3] = -7 + 9 * 1.5;
  ref.primary = ref.sform;
  const Mat4 w = read_flirt_file(write("1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n"), in, ref);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(w[r][c], r == c ? 1.0 : 0.0, 1e-12) << r << "," << c;
  EXPECT_EQ(fsl_coordinates(in)[0][0], -1.5);
  EXPECT_EQ(fsl_coordinates(in)[0][3], 9 * 1.5);
  EXPECT_EQ(fsl_coordinates(ref)[0][0], 1.5);
  InputGeometry bare = in;
  bare.has_sform = false;
  EXPECT_EQ(fsl_coordinates(bare)[0][0], 1.5);  // no transform: no mirror
  try {
    read_flirt_file(write("#Insight Transform File V1.0\nTransform: AffineTransform_double_3_3\n"), in, ref);
    ADD_FAILURE() << "an ITK file was read as a FLIRT matrix";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("--affine"), std::string::npos);
  }
}

TEST_F(AffineFile, ItkTextIsConvertedFromLpsAboutItsCentre) {
  // x_in = A (x - c) + t + c in LPS, A a rotation about z by 90 degrees.
  const Mat4 m = read_affine_file(write("#Insight Transform File V1.0\n#Transform 0\n"
                                        "Transform: AffineTransform_double_3_3\n"
                                        "Parameters: 0 -1 0 1 0 0 0 0 1 1 2 3\n"
                                        "FixedParameters: 10 20 30\n"));
  // Check on points: RAS p -> LPS q = (-px, -py, pz) -> A(q - c) + t + c -> back to RAS.
  const double pts[3][3] = {{0, 0, 0}, {1.5, -2, 7}, {-4, 9, 0.25}};
  for (const auto& p : pts) {
    const double q[3] = {-p[0], -p[1], p[2]};
    const double d[3] = {q[0] - 10, q[1] - 20, q[2] - 30};
    const double lps[3] = {-d[1] + 1 + 10, d[0] + 2 + 20, d[2] + 3 + 30};
    const double ras[3] = {-lps[0], -lps[1], lps[2]};
    for (int r = 0; r < 3; ++r)
      EXPECT_NEAR(m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3], ras[r], 1e-12);
  }
}


}  // namespace
}  // namespace respace
