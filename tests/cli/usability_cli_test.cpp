// SPDX-License-Identifier: MIT
// Small things a new user meets (issue 16), through the real binary:
// --dry-run beside an existing output, a missing output folder, option
// errors under --json, a typo's suggestion, and a 2-D input that stays 2-D.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_fixture.hpp"
#include "io/nifti_header.hpp"

namespace respace {
namespace {

using testing::ChildResult;

class UsabilityCli : public testing::CliFixture {};

TEST_F(UsabilityCli, DryRunBesideAnExistingOutputSaysSoAndWritesNothing) {
  make_volume("in.nii.gz", 12, 10, 8);
  make_volume("out.nii", 4, 4, 4);
  const auto before = std::filesystem::file_size(file("out.nii"));
  ChildResult r = respace({file("in.nii.gz"), file("out.nii"), "--spacing", "0.2", "0.2", "0.2", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("exists         yes: a run would need --force"), std::string::npos) << r.out;
  EXPECT_EQ(std::filesystem::file_size(file("out.nii")), before);
  r = respace({file("in.nii.gz"), file("out.nii"), "--spacing", "0.2", "0.2", "0.2", "--dry-run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["output"]["exists"].get<bool>());
  r = respace({file("in.nii.gz"), file("out.nii"), "--spacing", "0.2", "0.2", "0.2"});
  EXPECT_EQ(r.exit_code, 4) << "a real run still refuses";
  EXPECT_NE(r.err.find("exists; use --force"), std::string::npos) << r.err;
}

TEST_F(UsabilityCli, AMissingOutputFolderIsOneLineBeforeAnyPlan) {
  make_volume("in.nii.gz", 12, 10, 8);
  const ChildResult r = respace({file("in.nii.gz"), file("nowhere/out.nii.gz"), "--spacing", "0.2", "0.2", "0.2"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.out, "") << "no plan printed";
  EXPECT_NE(r.err.find("the output folder " + file("nowhere") + " does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(UsabilityCli, OptionErrorsUnderJsonAreJsonAndTyposGetASuggestion) {
  make_volume("in.nii.gz", 12, 10, 8);
  ChildResult r = respace({file("in.nii.gz"), file("out.nii"), "--spacng", "0.2", "0.2", "0.2", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["error"]["code"], 2);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("did you mean --spacing?"), std::string::npos) << r.out;
  r = respace({file("in.nii.gz"), file("out.nii"), "--memory-limt", "1G", "--spacing", "1", "1", "1"});
  EXPECT_NE(r.err.find("unrecognised option '--memory-limt'; did you mean --memory-limit?"), std::string::npos)
      << r.err;
  r = respace({file("in.nii.gz"), file("out.nii"), "--frobnicate", "--spacing", "1", "1", "1"});
  EXPECT_EQ(r.err.find("did you mean"), std::string::npos) << "nothing close: no suggestion; " << r.err;
}

TEST_F(UsabilityCli, ATwoDimensionalInputStaysTwoDimensional) {
  make_volume("in.nii", 20, 16, 1);
  ChildResult r = respace({file("in.nii"), file("out.nii"), "--spacing", "0.05", "0.05", "0.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // make_volume writes dim[0] 3; patch it to 2 as a 2-D image has it.
  {
    std::fstream f(file("in.nii"), std::ios::in | std::ios::out | std::ios::binary);
    const std::int16_t two = 2;
    f.seekp(40);
    f.write(reinterpret_cast<const char*>(&two), 2);
  }
  r = respace({file("in.nii"), file("out2.nii"), "--spacing", "0.05", "0.05", "0.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(InputVolume::open(file("out2.nii")).header().dim[0], 2);
  EXPECT_EQ(InputVolume::open(file("out2.nii")).header().dim[1], 40);
  EXPECT_EQ(InputVolume::open(file("out.nii")).header().dim[0], 3) << "a 3-D input of one plane stays 3-D";
}

}  // namespace
}  // namespace respace
