// SPDX-License-Identifier: MIT
// respace --part K/N and respace join (cli/part.hpp, cli/join.hpp): the
// joined file equals the single run's byte for byte, whatever the number of
// parts, the type, the order, the path and the stream; gzip -t and
// nifti_tool read it; bad sets of parts are refused with nothing written.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_fixture.hpp"

namespace respace {
namespace {

namespace fs = std::filesystem;
using testing::ChildResult;
using testing::run_child;
using testing::slurp;

class Parts : public testing::CliFixture {
protected:
  // The single run of `args` into ref, then n parts and their join into
  // joined; returns whether the two files are equal.
  void expect_join_equals_single(const std::vector<std::string>& args, int n, const std::string& ext = ".nii.gz",
                                 const std::vector<std::string>& part_args = {}) {
    const std::string ref = file("ref" + ext), joined = file("joined" + ext);
    std::vector<std::string> single = {file("in.nii.gz"), ref, "--force", "--quiet"};
    single.insert(single.end(), args.begin(), args.end());
    ChildResult r = respace(single);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> join = {"join", joined, "--force"};
    for (int k = n; k >= 1; --k) {  // any order: last first
      const std::string part = file("p" + std::to_string(k) + ".part");
      std::vector<std::string> a = {file("in.nii.gz"), part, "--part", std::to_string(k) + "/" + std::to_string(n),
                                    "--force", "--quiet"};
      a.insert(a.end(), args.begin(), args.end());
      a.insert(a.end(), part_args.begin(), part_args.end());
      r = respace(a);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      join.push_back(part);
    }
    r = respace(join);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string a = slurp(ref), b = slurp(joined);
    ASSERT_GT(a.size(), 0u);
    EXPECT_TRUE(a == b) << n << " parts of " << ::testing::PrintToString(args) << ": " << b.size() << " bytes joined, "
                        << a.size() << " single";
    for (int k = 1; k <= n; ++k) fs::remove(file("p" + std::to_string(k) + ".part"));
  }
};

TEST_F(Parts, JoinedPartsEqualTheSingleRunByteForByte) {
  for (const char* dtype : {"float32", "int16"}) {
    make_volume("in.nii.gz", 100, 90, 64, dtype);
    for (const char* order : {"1", "3"})
      for (int n : {1, 2, 3, 7, 16})
        expect_join_equals_single({"--spacing", "0.09", "0.09", "0.08", "--order", order}, n);
  }
  const std::string joined = file("joined.nii.gz");
  EXPECT_EQ(std::system(("gzip -t " + joined).c_str()), 0);
  ChildResult r = run_child({"/bin/sh", "-c", "nifti_tool -check_hdr -check_nim -infiles " + joined});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

TEST_F(Parts, EveryPathAndStreamJoinsToTheSingleRun) {
  make_volume("in.nii.gz", 70, 64, 40);
  const std::string affine = file("rot.txt");
  std::ofstream(affine) << "0.996 -0.087 0 1.5\n0.087 0.996 0 -2\n0 0 1 0.5\n0 0 0 1\n";
  // the general path (every plane computed, the part's range kept)
  expect_join_equals_single({"--affine", affine, "--order", "1"}, 5);
  // a label vote
  expect_join_equals_single({"--spacing", "0.16", "0.16", "0.13", "--labels"}, 3);
  // antialiasing (a Gaussian halo along z, read like any other plane)
  expect_join_equals_single({"--spacing", "0.25", "0.25", "0.3", "--antialias", "gauss"}, 4);
  // a raw .nii stream, and a crop
  expect_join_equals_single({"--spacing", "0.07", "0.07", "0.09", "--crop", "3", "4", "5", "60", "50", "30"}, 4, ".nii",
                            {"--part-format", "nii"});
  // other engines and levels: the parts deflate as the single run does
  expect_join_equals_single({"--spacing", "0.07", "0.07", "0.09", "--gzip-engine", "zlib", "--compression-level", "6"}, 3);
}

TEST_F(Parts, BadPartsAreRefusedAndNothingIsWritten) {
  make_volume("in.nii.gz", 64, 60, 50);
  const std::vector<std::string> job = {"--spacing", "0.08", "0.08", "0.08"};
  const auto make_part = [&](const std::string& name, const std::string& spec, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {file("in.nii.gz"), file(name), "--part", spec, "--quiet"};
    a.insert(a.end(), job.begin(), job.end());
    a.insert(a.end(), extra.begin(), extra.end());
    ChildResult r = respace(a);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  make_part("a1", "1/3");
  make_part("a2", "2/3");
  make_part("a3", "3/3");
  make_part("other2", "2/3", {"--order", "3"});  // another job
  const auto refused = [&](std::vector<std::string> parts, const std::string& says) {
    std::vector<std::string> a = {"join", file("out.nii.gz")};
    for (const std::string& p : parts) a.push_back(file(p));
    ChildResult r = respace(a);
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(file("out.nii.gz")));
    for (const std::string& e : entries()) EXPECT_EQ(e.find(".respace"), std::string::npos) << e;
  };
  refused({"a1", "a3"}, "missing: part 2");
  refused({"a1", "a2", "a2", "a3"}, "given twice");
  refused({"a1", "other2", "a3"}, "another job");
  // truncated, and corrupted in its payload
  fs::copy_file(file("a2"), file("cut2"));
  fs::resize_file(file("cut2"), fs::file_size(file("a2")) - 100);
  refused({"a1", "cut2", "a3"}, "truncated");
  std::string bytes = slurp(file("a2"));
  bytes[bytes.size() / 3] = static_cast<char>(bytes[bytes.size() / 3] ^ 0x20);
  std::ofstream(file("bad2"), std::ios::binary) << bytes;
  refused({"a1", "bad2", "a3"}, "checksum");
  refused({"a1", "in.nii.gz", "a3"}, "not a respace part file");
  // The right set joins; a wrong output name for the stream is a usage error.
  ChildResult r = respace({"join", file("out.nii"), file("a1"), file("a2"), file("a3")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = respace({"join", file("out.nii.gz"), file("a3"), file("a1"), file("a2")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Bad --part values.
  for (const char* spec : {"0/3", "4/3", "3", "a/b", "1/0"}) {
    r = respace({file("in.nii.gz"), file("p"), "--part", spec, "--spacing", "1", "1", "1"});
    EXPECT_EQ(r.exit_code, 2) << spec << r.err;
  }
}

TEST_F(Parts, DryRunShowsEveryPartAndWindowsReadLess) {
  // Noise: a compressed input of several read buffers (1 MiB each), so where
  // a part starts reading shows in its bytes read.
  ChildResult made = run_child({RESPACE_MAKE_VOLUME, file("in.nii.gz"), "160", "160", "128", "--pattern", "noise"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::vector<std::string> job = {"--spacing", "0.11", "0.11", "0.11"};
  std::vector<std::string> a = {file("in.nii.gz"), file("p"), "--part", "2/4", "--dry-run"};
  a.insert(a.end(), job.begin(), job.end());
  ChildResult r = respace(a);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("every part"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("<- this"), std::string::npos) << r.out;
  a.push_back("--json");
  r = respace(a);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json plan = nlohmann::json::parse(r.out);
  ASSERT_EQ(plan["part"]["every_part"].size(), 4u);
  EXPECT_TRUE(plan["part"]["windowed"].get<bool>());
  // The parts' output planes cover the output once, in order, overlapping
  // only where a chunk's dictionary reaches back.
  std::int64_t last_end = 0;
  for (const auto& row : plan["part"]["every_part"]) {
    EXPECT_LE(row["output_planes"][0].get<std::int64_t>(), last_end);
    last_end = row["output_planes"][1].get<std::int64_t>();
  }
  EXPECT_EQ(last_end, plan["plan"]["dims_out"][2].get<std::int64_t>());
  // The first part reads the first input planes alone.
  std::vector<std::string> single = {file("in.nii.gz"), file("s.nii.gz"), "--json"};
  single.insert(single.end(), job.begin(), job.end());
  r = respace(single);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto whole = nlohmann::json::parse(r.out)["bytes_read"].get<std::uint64_t>();
  a = {file("in.nii.gz"), file("p1"), "--part", "1/4", "--json"};
  a.insert(a.end(), job.begin(), job.end());
  r = respace(a);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json part = nlohmann::json::parse(r.out);
  EXPECT_LT(part["bytes_read"].get<std::uint64_t>(), whole / 2) << r.out;
  EXPECT_GT(part["part_result"]["payload_bytes"].get<std::uint64_t>(), 0u);
  // Without an index the last part inflates the input from its start; with
  // one (found beside the input) it starts near its planes.
  a = {file("in.nii.gz"), file("p4"), "--part", "4/4", "--json"};
  a.insert(a.end(), job.begin(), job.end());
  r = respace(a);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(nlohmann::json::parse(r.out)["bytes_read"].get<std::uint64_t>(), whole * 9 / 10) << r.out;
  r = respace({"index", file("in.nii.gz"), "--span", "1M", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(nlohmann::json::parse(r.out)["points"].get<int>(), 3) << r.out;
  EXPECT_TRUE(fs::exists(file("in.nii.gz.respace-index")));
  a.push_back("--force");
  r = respace(a);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json indexed = nlohmann::json::parse(r.out);
  EXPECT_LT(indexed["bytes_read"].get<std::uint64_t>(), whole / 2) << r.out;
  EXPECT_EQ(indexed["part"]["index"].get<std::string>(), file("in.nii.gz.respace-index"));
  // ... and the parts still join to the single run's bytes.
  expect_join_equals_single(job, 4);
  expect_join_equals_single({"--spacing", "0.09", "0.09", "0.13", "--order", "3"}, 7);
  // An index of another file is refused by name.
  make_volume("other.nii.gz", 128, 128, 96, "int16");
  fs::copy_file(file("in.nii.gz.respace-index"), file("other.nii.gz.respace-index"));
  r = respace({file("other.nii.gz"), file("po"), "--part", "2/4", "--spacing", "0.11", "0.11", "0.11"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("another file"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace respace
