// SPDX-License-Identifier: MIT
// --manifest through the real binary (issue 7): five jobs with one corrupt
// input, with and without --keep-going; per-line options really applied
// (dims, order and gzip level read back from --json and from the headers);
// a bad line refused with its number before anything is written; the
// manifest from standard input; quoting; --json, --dry-run and
// --skip-existing over a manifest.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/nifti_header.hpp"
#include "cli_fixture.hpp"

namespace respace {
namespace {

namespace fs = std::filesystem;
using testing::ChildResult;
using testing::run_child;

class Manifest : public testing::CliFixture {
protected:
  void SetUp() override {
    CliFixture::SetUp();
    fs::create_directory(dir_ / "out");
    for (const char* n : {"a", "b", "c", "d", "e"}) make_volume(std::string(n) + ".nii.gz", 24, 20, 30);
  }
  void corrupt(const std::string& name) { fs::resize_file(file(name), fs::file_size(file(name)) / 2); }
  // Writes the manifest; returns its path.
  std::string manifest(const std::string& text, const std::string& name = "jobs.txt") {
    std::ofstream(file(name)) << text;
    return file(name);
  }
  // "X.nii.gz DIR/out/X.nii.gz" for each name, absolute paths.
  std::string lines_for(std::initializer_list<const char*> names) {
    std::string s;
    for (const char* n : names) s += file(std::string(n) + ".nii.gz") + " " + file(std::string("out/") + n + ".nii.gz") + "\n";
    return s;
  }
  std::vector<std::string> outputs() const {
    std::vector<std::string> v;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "out")) v.push_back(fs::relative(e.path(), dir_ / "out").string());
    std::sort(v.begin(), v.end());
    return v;
  }
  static std::vector<nlohmann::json> json_lines(const std::string& out) {
    std::vector<nlohmann::json> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) v.push_back(nlohmann::json::parse(line));
    return v;
  }
  static int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }
};

// Lines 1-2 are a comment and a blank line, so c is on line 5.
TEST_F(Manifest, FiveJobsOneCorruptStopsOrKeepsGoing) {
  corrupt("c.nii.gz");
  const std::string m = manifest("# five volumes\n\n" + lines_for({"a", "b", "c", "d", "e"}));
  ChildResult r = respace({"--manifest", m, "--spacing", "0.15", "0.15", "0.15", "--quiet"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(outputs(), (std::vector<std::string>{"a.nii.gz", "b.nii.gz"})) << "stops at c, no partial file";
  EXPECT_EQ(count_lines(r.err), 1) << r.err;

  r = respace({"--manifest", m, "--spacing", "0.15", "0.15", "0.15", "--quiet", "--keep-going", "--force"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(outputs(), (std::vector<std::string>{"a.nii.gz", "b.nii.gz", "d.nii.gz", "e.nii.gz"}));
  EXPECT_NE(r.err.find("1 of 5 jobs failed: " + m + ":5 " + file("c.nii.gz") + " (exit 3)"), std::string::npos)
      << r.err;
  for (const char* n : {"a", "b", "d", "e"}) EXPECT_EQ(InputVolume::open(file(std::string("out/") + n + ".nii.gz")).nx(), 16);
}

// The command line gives defaults; a line's option wins; a line's grid
// request replaces the command line's (so --size is no conflict with it).
TEST_F(Manifest, PerLineOptionsAreApplied) {
  const std::string m = manifest(
      file("a.nii.gz") + " " + file("out/a.nii.gz") + "\n" +
      file("b.nii.gz") + " " + file("out/b.nii.gz") + " --size 10 11 12 --order 3\n" +
      file("c.nii.gz") + " " + file("out/c.nii") + " --x-spacing 0.2 --boundary mirror\n" +
      file("d.nii.gz") + " " + file("out/d.nii.gz") + " --xyz-spacing 0.3 0.3 0.3 --grid corners --compression-level 9 --gzip-engine zlib\n" +
      file("e.nii.gz") + " " + file("out/e.nii.gz") + " --order 1 --fill 7 --datatype int16\n");
  ChildResult r = respace({"--manifest", m, "--spacing", "0.15", "0.15", "0.15", "--order", "0", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = json_lines(r.out);
  ASSERT_EQ(j.size(), 5u) << r.out;
  using Dims = std::vector<int>;
  const Dims dims[5] = {{16, 13, 20}, {10, 11, 12}, {12, 20, 30}, {8, 7, 10}, {16, 13, 20}};
  const int order[5] = {0, 3, 0, 0, 1};
  const char* names[5] = {"out/a.nii.gz", "out/b.nii.gz", "out/c.nii", "out/d.nii.gz", "out/e.nii.gz"};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(j[i]["output"]["path"], file(names[i])) << i;
    EXPECT_EQ(j[i]["plan"]["dims_out"].get<Dims>(), dims[i]) << i;
    EXPECT_EQ(j[i]["plan"]["order"], order[i]) << i;
    const InputVolume v = InputVolume::open(file(names[i]));
    EXPECT_EQ((Dims{static_cast<int>(v.nx()), static_cast<int>(v.ny()), static_cast<int>(v.nz())}), dims[i]) << i;
  }
  EXPECT_EQ(j[1]["plan"]["boundary"], "mirror");  // order 3's default
  EXPECT_EQ(j[2]["plan"]["boundary"], "mirror");
  EXPECT_EQ(j[0]["plan"]["boundary"], "nearest");
  EXPECT_EQ(j[3]["plan"]["grid"], "corners");
  EXPECT_EQ(j[1]["plan"]["grid"], "fov");  // --size implies fov
  EXPECT_EQ(j[3]["output"]["compression"]["level"], 9);
  EXPECT_EQ(j[3]["output"]["compression"]["engine"], "zlib");
  EXPECT_EQ(j[4]["plan"]["fill"], 7.0);
  EXPECT_EQ(j[0]["plan"]["fill"], 0.0);
  EXPECT_EQ(j[4]["output"]["datatype"], "int16");
  EXPECT_EQ(InputVolume::open(file(names[4])).datatype(), DT_INT16);
  EXPECT_EQ(j[0]["output"]["datatype"], "float32");
}

// Every line is checked before any job runs: a bad line anywhere exits 2 with
// one line naming "FILE:LINE:", and nothing is written.
TEST_F(Manifest, BadLineIsNamedAndNothingIsWritten) {
  const std::string good = lines_for({"a", "b", "c", "d", "e"});
  const std::string in = file("a.nii.gz") + " " + file("out/z.nii.gz");
  const std::pair<std::string, std::string> cases[] = {
      {in + " --threads 2", "--threads applies to the whole call, not one job"},
      {in + " --memory-limit 1G", "--memory-limit applies to the whole call"},
      {in + " --output-dir x", "--output-dir applies to the whole call"},
      {in + " --manifest y", "--manifest applies to the whole call"},
      {in + " --json", "--json applies to the whole call"},
      {in + " --bogus", "unrecognised option '--bogus'"},
      {in + " --order 9", "--order must be"},
      {in + " --spacing 1 1", "--spacing takes three values"},
      {in + " --spacing 1 1 1 --x-spacing 2", "cannot be combined"},
      {file("a.nii.gz"), "found 1 file name"},
      {in + " extra", "found 3 file names"},
      {file("a.nii.gz") + " " + file("out/z.mgz"), "the output name must end in"},
      {file("a.nii.gz") + " " + file("out/b.nii.gz"), "is also the output of"},
      {in + " --fill 1\\", "cannot split the line"},
  };
  for (const auto& [line, words] : cases) {
    // The bad line is line 8: after a comment, the five good jobs and a blank line.
    const std::string m = manifest("# jobs\n" + good + "\n" + line + "\n" + "# end\n");
    ChildResult r = respace({"--manifest", m, "--spacing", "0.15", "0.15", "0.15"});
    EXPECT_EQ(r.exit_code, 2) << line << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("respace: " + m + ":8: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(words), std::string::npos) << "expected '" << words << "' in " << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(outputs().empty()) << line;
  }
  // A line without a grid request is fine only when the command line has one.
  const std::string m = manifest(good);
  ChildResult r = respace({"--manifest", m});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(m + ":1: say what to resample to"), std::string::npos) << r.err;
  EXPECT_TRUE(outputs().empty());
}

TEST_F(Manifest, CallLevelMistakes) {
  const std::string m = manifest(lines_for({"a"}));
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--manifest", m, file("a.nii.gz"), "--spacing", "1", "1", "1"}, "not the command line"},
      {{"--manifest", m, "--output-dir", file("out"), "--spacing", "1", "1", "1"}, "exclude each other"},
      {{"--manifest", file("missing.txt"), "--spacing", "1", "1", "1"}, "cannot open the manifest"},
      {{"--manifest", manifest("# only a comment\n\n", "empty.txt"), "--spacing", "1", "1", "1"}, "lists no jobs"},
  };
  for (const auto& [args, words] : cases) {
    ChildResult r = respace(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
  }
  EXPECT_TRUE(outputs().empty());
}

TEST_F(Manifest, ReadFromStandardInput) {
  manifest(lines_for({"a", "b"}) + file("c.nii.gz") + " " + file("out/c.nii.gz") + " --size 5 6 7\n");
  ChildResult r = run_child({"/bin/sh", "-c", "cat " + file("jobs.txt") + " | " + RESPACE_BIN +
                                                  " --manifest - --spacing 0.15 0.15 0.15 --quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(outputs(), (std::vector<std::string>{"a.nii.gz", "b.nii.gz", "c.nii.gz"}));
  EXPECT_EQ(InputVolume::open(file("out/c.nii.gz")).nz(), 7);
  r = run_child({"/bin/sh", "-c", "printf 'a.nii.gz x.nii.gz --threads 1\\n' | " + std::string(RESPACE_BIN) +
                                      " --manifest - --spacing 1 1 1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("stdin:1: --threads applies to the whole call"), std::string::npos) << r.err;
}

// Quotes and backslashes as in a shell; relative paths from the current folder.
TEST_F(Manifest, QuotedNamesAndRelativePaths) {
  fs::create_directory(file("out/my dir"));
  fs::copy_file(file("a.nii.gz"), file("scan one.nii.gz"));
  fs::copy_file(file("b.nii.gz"), file("it's.nii.gz"));
  manifest("\"scan one.nii.gz\" 'out/my dir/scan one.nii.gz' --size 4 4 4\n"
           "it\\'s.nii.gz out/it\\'s.nii.gz\r\n"  // a CRLF line ending too
           "   # indented comment\n"
           "c.nii.gz out/my\\ dir/c.nii.gz --order 2\n");
  ChildResult r = run_child({"/bin/sh", "-c", "cd " + dir_.string() + " && " + RESPACE_BIN +
                                                  " --manifest jobs.txt --spacing 0.15 0.15 0.15 --quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(outputs(), (std::vector<std::string>{"it's.nii.gz", "my dir", "my dir/c.nii.gz", "my dir/scan one.nii.gz"}));
}

TEST_F(Manifest, JsonIsOneObjectPerLine) {
  corrupt("d.nii.gz");
  const std::string m = manifest(lines_for({"a", "b", "c", "d", "e"}));
  ChildResult r = respace({"--manifest", m, "--spacing", "0.15", "0.15", "0.15", "--json", "--keep-going"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const auto j = json_lines(r.out);
  ASSERT_EQ(j.size(), 5u) << r.out;
  const char* names[5] = {"a", "b", "c", "d", "e"};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(j[i]["input"]["path"], file(std::string(names[i]) + ".nii.gz"));
    EXPECT_EQ(j[i].contains("error"), i == 3) << j[i].dump();
  }
  EXPECT_EQ(j[3]["error"]["code"], 3);
}

TEST_F(Manifest, DryRunWritesNothingAndSkipExistingResumes) {
  const std::string m = manifest(lines_for({"a", "b", "c"}));
  ChildResult r = respace({"--manifest", m, "--spacing", "0.15", "0.15", "0.15", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  int plans = 0;
  for (std::size_t at = r.out.find("Memory:"); at != std::string::npos; at = r.out.find("Memory:", at + 1)) ++plans;
  EXPECT_EQ(plans, 3) << r.out;
  EXPECT_TRUE(outputs().empty());

  { std::ofstream(file("out/b.nii.gz")) << "done before"; }
  r = respace({"--manifest", m, "--spacing", "0.15", "0.15", "0.15", "--skip-existing"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Skipped: " + file("out/b.nii.gz") + " exists"), std::string::npos) << r.out;
  EXPECT_EQ(testing::slurp(file("out/b.nii.gz")), "done before");
  EXPECT_EQ(outputs(), (std::vector<std::string>{"a.nii.gz", "b.nii.gz", "c.nii.gz"}));
}

}  // namespace
}  // namespace respace
