// SPDX-License-Identifier: MIT
// The peers' conventions and their settings through the real binary (issue
// 16): what --convention sets and what an option given alone overrides,
// --size with a spacing, the report's lines for users of resample_nifti.py,
// and --xform-source. The values against the peers themselves are checked
// by tests/conformance/check_itk.py and check_conventions.py.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_fixture.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace {

using testing::ChildResult;

class ConventionCli : public testing::CliFixture {
protected:
  nlohmann::json plan(std::vector<std::string> args) {
    args.insert(args.begin(), {file("in.nii"), file("out.nii")});
    args.insert(args.end(), {"--dry-run", "--json"});
    ChildResult r = respace(args);
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json{};
  }
  static std::vector<std::int64_t> dims(const nlohmann::json& j) {
    return j["plan"]["dims_out"].get<std::vector<std::int64_t>>();
  }
  // A float32 in its header at `offset` of the raw .nii `name`.
  void patch_float(const std::string& name, long offset, float v) {
    std::fstream f(file(name), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(offset);
    f.write(reinterpret_cast<const char*>(&v), 4);
  }
};

TEST_F(ConventionCli, ItkSizesOriginGridAndSettings) {
  // 13 voxels of 0.1 mm to 0.4 mm: 3.25 voxels. respace: 3 (halves up),
  // centre grid; ITK's recipe round(3.25 + 0.5) = 4, origin grid (voxel 0
  // stays where it was).
  make_volume("in.nii", 13, 10, 9);
  nlohmann::json j = plan({"--spacing", "0.4", "0.4", "0.4"});
  EXPECT_EQ(dims(j), (std::vector<std::int64_t>{3, 3, 2}));  // 13*0.1/0.4 = 3.25, 2.5 -> 3, 2.25
  EXPECT_EQ(j["plan"]["grid"], "center");
  EXPECT_EQ(j["plan"]["convention"]["name"], "respace");
  EXPECT_EQ(j["plan"]["antialias"]["mode"], "auto");
  j = plan({"--spacing", "0.4", "0.4", "0.4", "--convention", "itk"});
  EXPECT_EQ(dims(j), (std::vector<std::int64_t>{4, 3, 3}));  // round(3.75) 4, round(3.0) 3, round(2.75) 3
  EXPECT_EQ(j["plan"]["grid"], "origin");
  EXPECT_EQ(j["plan"]["origin_shift_mm"], (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(j["plan"]["convention"]["fov"], "half-open");
  EXPECT_EQ(j["plan"]["convention"]["size_rounding"], "itk");
  EXPECT_EQ(j["plan"]["convention"]["int_rounding"], "toward-zero");
  EXPECT_EQ(j["plan"]["antialias"]["mode"], "off") << "no peer filters before it samples";
  EXPECT_EQ(j["plan"]["boundary"], "nearest");
  j = plan({"--spacing", "0.4", "0.4", "0.4", "--convention", "itk", "--order", "3"});
  EXPECT_EQ(j["plan"]["boundary"], "mirror");
  EXPECT_EQ(j["plan"]["halo"], 23) << "truncated integers: the prefilter's tail at 1e-13";
  // An option given alone wins over the convention's value.
  j = plan({"--spacing", "0.4", "0.4", "0.4", "--convention", "itk", "--grid", "center", "--antialias", "gauss",
            "--size-rounding", "half-up", "--fov", "closed"});
  EXPECT_EQ(dims(j), (std::vector<std::int64_t>{3, 3, 2}));
  EXPECT_EQ(j["plan"]["grid"], "center");
  EXPECT_EQ(j["plan"]["antialias"]["mode"], "gauss");
  EXPECT_EQ(j["plan"]["convention"]["fov"], "closed");
  EXPECT_EQ(j["plan"]["convention"]["int_rounding"], "toward-zero");
}

TEST_F(ConventionCli, SizeWithASpacingKeepsTheSpacingExactly) {
  make_volume("in.nii", 13, 10, 9);
  nlohmann::json j = plan({"--spacing", "0.4", "0.4", "0.4", "--size", "5", "4", "3", "--grid", "origin"});
  EXPECT_EQ(dims(j), (std::vector<std::int64_t>{5, 4, 3}));
  for (double s : j["plan"]["spacing_out_mm"].get<std::vector<double>>()) EXPECT_NEAR(s, 0.4, 1e-7);
  ChildResult r = respace({file("in.nii"), file("out.nii"), "--spacing", "0.4", "0.4", "0.4", "--size", "5", "4",
                           "3", "--grid", "fov"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--grid fov derives the spacing from the size"), std::string::npos) << r.err;
}

TEST_F(ConventionCli, ScipyZoomWritesTheRequestedSpacingAndSaysHowFarOff) {
  // 73 voxels of 0.5 mm to 1 mm: 36.5 -> 36 (half to even), corners grid
  // (voxel 35 samples 72, so the data spacing is 1.0286 mm), header 1.
  ASSERT_EQ(testing::run_child({RESPACE_MAKE_VOLUME, file("in.nii"), "73", "8", "6", "--spacing", "0.5"}).exit_code, 0);
  ChildResult r = respace({file("in.nii"), file("out.nii"), "--x-spacing", "1", "--convention", "scipy-zoom"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const InputVolume out = InputVolume::open(file("out.nii"));
  EXPECT_EQ(out.header().nx, 36);
  EXPECT_FLOAT_EQ(static_cast<float>(out.header().dx), 1.0f);
  EXPECT_NEAR(out.header().sto_xyz.m[0][0], 1.0, 1e-7);
  EXPECT_EQ(out.header().sform_code, 2) << "nibabel's save: aligned";
  EXPECT_EQ(out.header().qform_code, 0) << "nibabel's save: unknown";
  EXPECT_NE(r.out.find("Requested        spacing x=1 mm"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("zoom factor    x 0.5000 (down)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("size ratio     x 0.4932"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x 73 -> 36 -50.7%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(1000 x 500 x 500 um)"), std::string::npos) << r.out;
  // (36 - 1) * (1 - 72 * 0.5 / 35) = -1 mm
  EXPECT_NE(r.out.find("so the header puts the last voxel -1 x 0 x 0 mm from its sample"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Grid             corners (--convention scipy-zoom)"), std::string::npos) << r.out;
  // Not with a transform: the header would not describe the data.
  r = respace({file("in.nii"), file("out2.nii"), "--like", file("in.nii"), "--header-spacing", "requested"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(ConventionCli, TheGridIsNamedAsItWasGiven) {
  make_volume("in.nii", 13, 10, 9);
  make_volume("ref.nii", 7, 6, 5);
  ChildResult r = respace({file("in.nii"), file("out.nii"), "--like", file("ref.nii"), "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Grid             like " + file("ref.nii")), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("grid center"), std::string::npos) << r.out;
  r = respace({file("in.nii"), file("out.nii"), "--spacing", "0.2", "0.2", "0.2", "--dry-run"});
  EXPECT_NE(r.out.find("Grid             center (default)"), std::string::npos) << r.out;
}

TEST_F(ConventionCli, XformSourceWritesBothTransformsFromTheChosenOne) {
  make_volume("in.nii", 13, 10, 9);
  // srow_x[0] (offset 280) 0.1 -> 0.12: the sform's x spacing disagrees.
  patch_float("in.nii", 280, 0.12f);
  ChildResult r = respace({file("in.nii"), file("keep.nii"), "--spacing", "0.2", "0.2", "0.2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("the qform and sform disagree by up to 0.24 mm"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("qform/sform    the input's disagree by up to 0.24 mm"), std::string::npos) << r.out;
  for (const char* form : {"sform", "qform"}) {
    const std::string out = file(std::string(form) + ".nii");
    r = respace({file("in.nii"), out, "--spacing", "0.2", "0.2", "0.2", "--xform-source", form});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const InputVolume v = InputVolume::open(out);
    const nifti_image& h = v.header();
    EXPECT_EQ(h.qform_code, 1);
    EXPECT_EQ(h.sform_code, 1);
    for (int row = 0; row < 3; ++row)
      for (int c = 0; c < 4; ++c) EXPECT_NEAR(h.qto_xyz.m[row][c], h.sto_xyz.m[row][c], 1e-5) << form;
    EXPECT_NEAR(h.dx, h.sto_xyz.m[0][0], 1e-6) << form;
    // The sform's 0.12 mm x voxels: 13 * 0.12 / 0.2 = 7.8 -> 8; the qform's 0.1: 6.5 -> 7.
    EXPECT_EQ(h.nx, std::string(form) == "sform" ? 8 : 7);
  }
  // A transform the input does not have.
  {
    std::fstream f(file("in.nii"), std::ios::in | std::ios::out | std::ios::binary);
    const std::int16_t zero = 0;
    f.seekp(252);  // qform_code
    f.write(reinterpret_cast<const char*>(&zero), 2);
  }
  r = respace({file("in.nii"), file("none.nii"), "--spacing", "0.2", "0.2", "0.2", "--xform-source", "qform"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--xform-source qform: the input has no qform"), std::string::npos) << r.err;
}

TEST_F(ConventionCli, UnknownValuesNameTheChoices) {
  make_volume("in.nii", 13, 10, 9);
  for (const auto& [opt, what] : std::vector<std::pair<std::string, std::string>>{
           {"--convention", "respace, itk, scipy, scipy-zoom"},
           {"--fov", "closed, half-open, hull"},
           {"--size-rounding", "half-up, half-even, itk"},
           {"--int-rounding", "nearest, toward-zero"},
           {"--header-spacing", "used, requested"},
           {"--xform-source", "sform or qform"}}) {
    ChildResult r = respace({file("in.nii"), file("out.nii"), "--spacing", "0.2", "0.2", "0.2", opt, "bogus"});
    EXPECT_EQ(r.exit_code, 2) << opt;
    EXPECT_NE(r.err.find(what), std::string::npos) << opt << ": " << r.err;
  }
}

}  // namespace
}  // namespace respace
