// SPDX-License-Identifier: MIT
// The real `respace` binary: exit codes and messages, nothing left behind
// after a failure or SIGTERM, outputs read back by nifticlib, nifti_tool and
// gzip, and the peak memory of a run on a volume over 1 GiB.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/batch.hpp"
#include "io/nifti_header.hpp"
#include "cli_fixture.hpp"

namespace respace {
namespace {

namespace fs = std::filesystem;
using testing::ChildResult;
using testing::run_child;

class Cli : public testing::CliFixture {
protected:
  static int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }
};

TEST_F(Cli, HelpAndVersion) {
  ChildResult r = respace({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Examples"), std::string::npos);
  r = respace({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("respace ", 0), 0u);
}

TEST_F(Cli, UsageErrorsExitTwoWithOneLine) {
  make_volume("in.nii.gz", 8, 8, 8);
  for (std::vector<std::string> args :
       {std::vector<std::string>{}, {file("in.nii.gz")}, {file("in.nii.gz"), file("o.nii.gz")},
        {file("in.nii.gz"), file("o.nii.gz"), "--spacing", "1", "2"},
        {file("in.nii.gz"), file("o.nii.gz"), "--spacing", "1", "1", "1", "--z-spacing", "2"},
        {file("in.nii.gz"), file("o.nii.gz"), "--spacing", "1", "1", "1", "--order", "4"},
        {file("in.nii.gz"), file("o.nii.gz"), "--spacing", "1", "1", "1", "--boundary", "wrap"},
        {file("in.nii.gz"), file("o.nii.gz"), "--spacing", "1", "1", "1", "--grid", "middle"},
        {file("in.nii.gz"), file("o.nii.gz"), "--spacing", "1", "1", "-1"},
        {file("in.nii.gz"), file("o.mgz"), "--spacing", "1", "1", "1"},
        {file("in.nii.gz"), file("o.nii.gz"), "--spacing", "1", "1", "1", "--memory-limit", "lots"},
        {file("in.nii.gz"), file("o.nii.gz"), "--bogus"}}) {
    ChildResult r = respace(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("respace: ", 0), 0u) << r.err;
  }
  ChildResult r = respace({file("in.nii.gz"), file("o.nii.gz"), "--spacing", "1", "1", "1", "--order", "5"});
  EXPECT_NE(r.err.find("--order must be"), std::string::npos) << r.err;
  EXPECT_EQ(entries(), std::vector<std::string>{"in.nii.gz"});
}

TEST_F(Cli, BadInputExitsThreeAndLeavesNothing) {
  make_volume("in.nii.gz", 16, 16, 16);
  const std::string in = file("in.nii.gz");
  // Truncate the gzip stream to half.
  fs::copy_file(in, file("cut.nii.gz"));
  fs::resize_file(file("cut.nii.gz"), fs::file_size(in) / 2);
  for (const char* bad : {"cut.nii.gz", "missing.nii.gz"}) {
    ChildResult r = respace({file(bad), file("out.nii.gz"), "--spacing", "0.2", "0.2", "0.2"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(bad), std::string::npos) << "names the file: " << r.err;
  }
  EXPECT_EQ(entries(), (std::vector<std::string>{"cut.nii.gz", "in.nii.gz"})) << "no output, no temporary";
}

TEST_F(Cli, ExistingOutputAndInputAreProtected) {
  make_volume("in.nii.gz", 8, 8, 8);
  const std::string in = file("in.nii.gz");
  const auto before = fs::file_size(in);
  ChildResult r = respace({in, in, "--spacing", "0.2", "0.2", "0.2", "--force"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(fs::file_size(in), before);
  { std::ofstream(file("out.nii.gz")) << "keep me"; }
  r = respace({in, file("out.nii.gz"), "--spacing", "0.2", "0.2", "0.2"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos);
  EXPECT_EQ(testing::slurp(file("out.nii.gz")), "keep me");
  r = respace({in, file("out.nii.gz"), "--spacing", "0.2", "0.2", "0.2", "--force", "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(InputVolume::open(file("out.nii.gz")).nx(), 4);
}

TEST_F(Cli, MemoryLimitTooSmallExitsFiveNamingTheSmallest) {
  make_volume("in.nii.gz", 64, 64, 8);
  ChildResult r = respace({file("in.nii.gz"), file("out.nii.gz"), "--spacing", "0.2", "0.2", "0.2",
                           "--memory-limit", "1M"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("smallest"), std::string::npos) << r.err;
  EXPECT_EQ(entries(), std::vector<std::string>{"in.nii.gz"});
}

TEST_F(Cli, DryRunPrintsThePlanAndWritesNothing) {
  make_volume("in.nii.gz", 20, 20, 30);
  ChildResult r = respace({file("in.nii.gz"), file("out.nii.gz"), "--z-spacing", "0.15", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* word : {"20 x 20 x 20", "affine", "Memory", "tokens", "0.15"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word << " in\n" << r.out;
  EXPECT_EQ(entries(), std::vector<std::string>{"in.nii.gz"});
}

TEST_F(Cli, OutputsReadBackByIndependentReaders) {
  make_volume("in.nii.gz", 30, 24, 18, "int16");
  for (const char* out : {"o.nii.gz", "o.nii", "p.hdr", "q.img.gz"}) {
    ChildResult r = respace({file("in.nii.gz"), file(out), "--spacing", "0.13", "0.07", "0.2", "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << out << ": " << r.err;
  }
  EXPECT_EQ(entries(), (std::vector<std::string>{"in.nii.gz", "o.nii", "o.nii.gz", "p.hdr", "p.img", "q.hdr.gz",
                                                 "q.img.gz"}));
  for (const char* out : {"o.nii.gz", "o.nii", "p.hdr", "q.hdr.gz"}) {
    const InputVolume v = InputVolume::open(file(out));
    EXPECT_EQ(v.nx(), 23);  // 30 * 0.1 / 0.13 = 23.08
    EXPECT_EQ(v.ny(), 34);  // 24 * 0.1 / 0.07 = 34.29
    EXPECT_EQ(v.nz(), 9);
    EXPECT_EQ(v.datatype(), DT_INT16);
  }
  EXPECT_EQ(std::system(("gzip -t " + file("o.nii.gz") + " " + file("q.img.gz")).c_str()), 0);
  if (std::system("command -v nifti_tool >/dev/null 2>&1") == 0) {
    ChildResult r = run_child({"/bin/sh", "-c", "nifti_tool -disp_hdr -field dim -field pixdim -infiles " + file("o.nii.gz")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("23 34 9"), std::string::npos) << r.out;
    r = run_child({"/bin/sh", "-c", "nifti_tool -check_hdr -check_nim -infiles " + file("o.nii.gz")});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
}

// pigz-style output: the file's bytes depend on the data, engine and level
// only, never on threads or block depth; every engine decodes to the same data.
TEST_F(Cli, GzipBytesIdenticalForAnyThreadsAndBlocks) {
  make_volume("in.nii.gz", 96, 80, 150);  // several 512 KiB chunks of output
  std::vector<std::string> engines = {"zlib"};
  if (have_isal()) engines.push_back("isal");  // built with ISA-L, as scripts/setup.sh makes it
  if (have_libdeflate()) engines.push_back("libdeflate");
  std::string decoded_first;
  for (const std::string& engine : engines) {
    std::string first;
    for (const char* threads : {"1", "2", "3"})
      for (const char* block : {"1", "7", "64"}) {
        const std::string out = file("o_" + engine + threads + block + ".nii.gz");
        ChildResult r = respace({file("in.nii.gz"), out, "--spacing", "0.13", "0.07", "0.15", "--quiet",
                                 "--gzip-engine", engine, "--threads", threads, "--block-planes", block});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const std::string bytes = testing::slurp(out);
        if (first.empty()) first = bytes;
        EXPECT_TRUE(bytes == first) << engine << " threads " << threads << " block " << block;
      }
    ChildResult d = run_child({"/bin/sh", "-c", "gzip -dc " + file("o_" + engine + "11.nii.gz") + " | md5sum"});
    ASSERT_EQ(d.exit_code, 0);
    if (decoded_first.empty()) decoded_first = d.out;
    EXPECT_EQ(d.out, decoded_first) << "engines decode to the same data";
  }
}

TEST_F(Cli, DefaultCompressionFollowsTheOutputType) {
  make_volume("f.nii.gz", 16, 16, 16, "float32");
  make_volume("i.nii.gz", 16, 16, 16, "int16");
  ChildResult r = respace({file("f.nii.gz"), file("fo.nii.gz"), "--z-spacing", "0.2", "--dry-run"});
  EXPECT_NE(r.out.find(have_isal() ? "gzip level 1 (isal level 1)" : "gzip level 2 ("), std::string::npos) << r.out;
  r = respace({file("i.nii.gz"), file("io.nii.gz"), "--z-spacing", "0.2", "--dry-run"});
  EXPECT_NE(r.out.find(have_libdeflate() ? "gzip level 2 (libdeflate)" : "gzip level 2 (zlib)"), std::string::npos)
      << r.out;
  r = respace({file("i.nii.gz"), file("io.nii.gz"), "--z-spacing", "0.2", "--dry-run", "--compression-level", "9"});
  EXPECT_NE(r.out.find("gzip level 9"), std::string::npos) << r.out;
}

TEST_F(Cli, SigtermMidWriteLeavesNoFiles) {
  make_volume("in.nii.gz", 512, 512, 96);
  ChildResult r = run_child({RESPACE_BIN, file("in.nii.gz"), file("out.nii.gz"), "--spacing", "0.05", "0.05",
                             "0.05", "--compression-level", "9", "--threads", "1"},
                            700);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << "the run should still have been going: " << r.out << r.err;
  EXPECT_EQ(entries(), std::vector<std::string>{"in.nii.gz"});
}

// SPEC §6 and issue 2: a gzipped volume of 1.125 GiB (1536 x 1536 x 128
// float32) resampled with --memory-limit 256M. A whole-volume load would
// need 1.125 GiB for the input alone.
TEST_F(Cli, PeakMemoryOfAGigabyteVolumeStaysUnderTheLimit) {
#if defined(RESPACE_SANITIZED)
  GTEST_SKIP() << "resident memory is meaningless under AddressSanitizer";
#endif
  make_volume("big.nii.gz", 1536, 1536, 128);
  ChildResult r = respace({file("big.nii.gz"), file("out.nii.gz"), "--spacing", "0.15", "0.15", "0.15",
                           "--memory-limit", "256M", "--compression-level", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::uint64_t limit = std::uint64_t{256} << 20;
  EXPECT_LT(r.peak_rss, limit) << r.out;
  std::cout << "[ info ] peak RSS " << (r.peak_rss >> 20) << " MiB for a 1152 MiB volume, limit 256 MiB\n";
  const InputVolume v = InputVolume::open(file("out.nii.gz"));
  EXPECT_EQ(v.nx(), 1024);
  EXPECT_EQ(v.nz(), 85);
}

}  // namespace
}  // namespace respace

namespace respace {
namespace {

// Malformed inputs (issue 5): each is refused with exit 3, one line naming
// the file, no output and no temporary file, in little memory.
class BadInput : public Cli {
protected:
  // A valid raw NIfTI-1 of 16^3 float32, patched by `patch`, written as NAME
  // (gzipped when NAME ends in .gz).
  std::string patched(const std::string& name, const std::function<void(std::vector<unsigned char>&)>& patch) {
    make_volume("base.nii", 16, 16, 16);
    std::ifstream f(file("base.nii"), std::ios::binary);
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    fs::remove(file("base.nii"));
    patch(bytes);
    const std::string raw = name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0
                                ? name.substr(0, name.size() - 3) : name;
    std::ofstream(file(raw), std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (raw != name) {
      EXPECT_EQ(std::system(("gzip -n " + file(raw)).c_str()), 0);
    }
    return file(name);
  }
  static void put16(std::vector<unsigned char>& b, std::size_t at, std::int16_t v) { std::memcpy(&b[at], &v, 2); }
  static void put_float(std::vector<unsigned char>& b, std::size_t at, float v) { std::memcpy(&b[at], &v, 4); }

  void expect_refused(const std::string& in, const std::string& words) {
    const auto before = entries();
    ChildResult r = respace({in, file("out.nii.gz"), "--spacing", "0.2", "0.2", "0.2", "--memory-limit", "64M"});
    EXPECT_EQ(r.exit_code, 3) << in << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(fs::path(in).filename().string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(words), std::string::npos) << "expected '" << words << "' in: " << r.err;
    EXPECT_EQ(entries(), before) << "no output, no temporary file";
#if !defined(RESPACE_SANITIZED)  // ASan's shadow memory and quarantine put RSS at the limit itself
    EXPECT_LT(r.peak_rss, std::uint64_t{64} << 20) << in;
#endif
  }
};

TEST_F(BadInput, EachFaultHasItsMessage) {
  using B = std::vector<unsigned char>;
  expect_refused(patched("short.nii", [](B& b) { b.resize(b.size() - 100); }), "truncated");
  expect_refused(patched("offset.nii", [](B& b) { put_float(b, 108, 1e9f); }), "past the end");
  expect_refused(patched("dims.nii", [](B& b) { put16(b, 42, -5); }), "impossible dimension dim[1] = -5");
  expect_refused(patched("rank.nii", [](B& b) { put16(b, 40, 9); }), "dim[0] = 9");
  expect_refused(patched("type.nii", [](B& b) { put16(b, 70, 999); }), "datatype");
  expect_refused(patched("tera.nii", [](B& b) { put16(b, 42, 30000); put16(b, 44, 30000); put16(b, 46, 30000); }),
                 "bytes of voxel data");
  expect_refused(patched("tera.nii.gz", [](B& b) { put16(b, 42, 30000); put16(b, 44, 30000); put16(b, 46, 30000); }),
                 "gzip file can hold");
  expect_refused(patched("magic.nii", [](B& b) { b[344] = 'x'; b[345] = 'y'; }), "NIfTI");
  expect_refused(patched("random.nii", [](B& b) { for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<unsigned char>(i * 7919 + 13); }), "NIfTI");
  expect_refused(patched("empty.nii", [](B& b) { b.clear(); }), "NIfTI");
  // Corrupt deflate data in the middle of the stream.
  const std::string gz = patched("corrupt.nii.gz", [](B&) {});
  {
    std::fstream f(gz, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(gz) / 2));
    const char junk[16] = {'\x55', '\x2a', '\x7f', '\x00', '\x13', '\x99', '\x42', '\x07', '\x55', '\x2a', '\x7f', '\x00', '\x13', '\x99', '\x42', '\x07'};
    f.write(junk, 16);
  }
  expect_refused(gz, "gzip");
}

}  // namespace
}  // namespace respace

namespace respace {
namespace {

// 64-bit sizes (SPEC §5, issue 5): 2048 x 2048 x 1100 uint8 is 4.6e9 voxels
// (over 2^32) and a 4.6 GB stream, yet gzips to a few MB because every
// plane is constant (z % 251). Resampled along z, the 2.3 GB output is
// streamed back and sampled against the linear-interpolation formula.
TEST_F(Cli, VolumesPastFourGibibytesStream) {
#if defined(RESPACE_SANITIZED)
  GTEST_SKIP() << "too slow under AddressSanitizer; the Release run covers it";
#endif
  ChildResult mk = run_child({RESPACE_MAKE_VOLUME, file("huge.nii.gz"), "2048", "2048", "1100", "--datatype", "uint8",
                              "--pattern", "zplanes", "--level", "1"});
  ASSERT_EQ(mk.exit_code, 0) << mk.err;
  ChildResult r = respace({file("huge.nii.gz"), file("out.nii.gz"), "--z-spacing", "0.2", "--grid", "origin",
                           "--memory-limit", "256M"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(r.peak_rss, std::uint64_t{256} << 20);
  const InputVolume v = InputVolume::open(file("out.nii.gz"));
  ASSERT_EQ(v.nz(), 550);
  EXPECT_EQ(v.data_bytes(), std::uint64_t{2048} * 2048 * 550);
  auto src = v.open_data();
  std::vector<unsigned char> plane(static_cast<std::size_t>(v.plane_bytes()));
  for (std::int64_t k = 0; k < v.nz(); ++k) {
    src->read_exact(plane.data(), plane.size());
    // origin grid, r = 2: output plane k is input plane 2k exactly.
    const auto expect = static_cast<unsigned char>((2 * k) % 251);
    ASSERT_EQ(plane[0], expect) << "plane " << k;
    ASSERT_EQ(plane[plane.size() / 2 + 77], expect) << "plane " << k;
    ASSERT_EQ(plane.back(), expect) << "plane " << k;
  }
  src->finish();  // CRC and ISIZE (mod 2^32) checked by the inflater
}

}  // namespace
}  // namespace respace

namespace respace {
namespace {

// Text fields are copied byte for byte: a 24-character aux_file and an
// 80-character descrip (legal without a terminating NUL) survive whole.
TEST_F(BadInput, FullLengthTextFieldsAreKept) {
  const std::string in = patched("text.nii", [](std::vector<unsigned char>& b) {
    for (std::size_t i = 0; i < 80; ++i) b[148 + i] = static_cast<unsigned char>('a' + i % 26);  // descrip
    for (std::size_t i = 0; i < 24; ++i) b[196 + i] = static_cast<unsigned char>('A' + i);      // aux_file
  });
  ChildResult r = respace({in, file("out.nii"), "--spacing", "0.2", "0.2", "0.2", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string a = testing::slurp(in), b = testing::slurp(file("out.nii"));
  EXPECT_EQ(a.substr(148, 80), b.substr(148, 80));
  EXPECT_EQ(a.substr(196, 24), b.substr(196, 24));
}

}  // namespace
}  // namespace respace

namespace respace {
namespace {

// Batch use (issue 7): five inputs, the third one corrupt.
class Batch : public Cli {
protected:
  void SetUp() override {
    Cli::SetUp();
    fs::create_directory(file("out"));
    for (const char* n : {"a", "b", "c", "d", "e"}) make_volume(std::string(n) + ".nii.gz", 24, 20, 30);
    fs::resize_file(file("c.nii.gz"), fs::file_size(file("c.nii.gz")) / 2);
  }
  std::vector<std::string> batch(std::vector<std::string> extra) {
    std::vector<std::string> args = {"--output-dir", file("out"), "--suffix", "_150um", "--spacing", "0.15", "0.15", "0.15", "--quiet"};
    for (const char* n : {"a", "b", "c", "d", "e"}) args.push_back(file(std::string(n) + ".nii.gz"));
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  std::vector<std::string> outputs() const {
    std::vector<std::string> v;
    for (const auto& e : fs::directory_iterator(dir_ / "out")) v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
  }
};

TEST_F(Batch, StopsAtTheFirstFailureOrKeepsGoing) {
  ChildResult r = respace(batch({}));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(outputs(), (std::vector<std::string>{"a_150um.nii.gz", "b_150um.nii.gz"}));
  r = respace(batch({"--keep-going", "--force"}));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(outputs(), (std::vector<std::string>{"a_150um.nii.gz", "b_150um.nii.gz", "d_150um.nii.gz", "e_150um.nii.gz"}));
  EXPECT_NE(r.err.find("1 of 5 inputs failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("c.nii.gz (exit 3)"), std::string::npos) << r.err;
}

TEST_F(Batch, JsonIsOneLinePerJob) {
  ChildResult r = respace(batch({"--keep-going", "--json"}));
  EXPECT_EQ(r.exit_code, 3);
  std::istringstream lines_in(r.out);
  std::string line;
  int n = 0, errors = 0;
  while (std::getline(lines_in, line)) {
    ++n;
    EXPECT_EQ(line.front(), '{');
    EXPECT_EQ(line.back(), '}');
    errors += line.find("\"error\"") != std::string::npos;
  }
  EXPECT_EQ(n, 5);
  EXPECT_EQ(errors, 1);
}

TEST_F(Batch, ResumesAfterAKillWithSkipExisting) {
  fs::remove(file("c.nii.gz"));
  make_volume("c.nii.gz", 24, 20, 30);
  // Killed at some point (which job does not matter); then resumed.
  std::vector<std::string> args = batch({});
  args.insert(args.begin(), RESPACE_BIN);
  run_child(args, 30);
  const auto done_before = outputs();
  std::map<std::string, fs::file_time_type> stamps;
  for (const std::string& f : done_before) stamps[f] = fs::last_write_time(file("out/" + f));
  ChildResult r = respace(batch({"--skip-existing"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(outputs(), (std::vector<std::string>{"a_150um.nii.gz", "b_150um.nii.gz", "c_150um.nii.gz", "d_150um.nii.gz", "e_150um.nii.gz"}))
      << "every output present, no temporary file left";
  for (const auto& [f, t] : stamps) EXPECT_EQ(fs::last_write_time(file("out/" + f)), t) << f << " was redone";
  for (const std::string& f : outputs()) EXPECT_EQ(std::system(("gzip -t " + file("out/" + f)).c_str()), 0) << f;
}

TEST_F(Batch, OutputNames) {
  EXPECT_EQ(batch_output_name("/x/y/brain.nii.gz", "o", "_s"), "o/brain_s.nii.gz");
  EXPECT_EQ(batch_output_name("brain.nii", "o", ""), "o/brain.nii");
  EXPECT_EQ(batch_output_name("pair.img", "o", "_s"), "o/pair_s.hdr");
  EXPECT_EQ(batch_output_name("pair.hdr.gz", "o", ""), "o/pair.hdr.gz");
}

}  // namespace
}  // namespace respace

namespace respace {
namespace {

// A single-file NIfTI-1 of nx*ny*nz voxels of `datatype` (pixdim 1, no
// qform or sform) holding `bytes`.
void write_nii(const std::string& path, int nx, int ny, int nz, int datatype, const std::vector<unsigned char>& bytes) {
  nifti_1_header h{};
  h.sizeof_hdr = 348;
  h.dim[0] = 3;
  h.dim[1] = static_cast<short>(nx);
  h.dim[2] = static_cast<short>(ny);
  h.dim[3] = static_cast<short>(nz);
  h.datatype = static_cast<short>(datatype);
  h.bitpix = static_cast<short>(8 * (datatype == DT_RGB24 ? 3 : scalar_bytes(datatype)));
  for (int k = 0; k < 4; ++k) h.pixdim[k] = 1;
  h.vox_offset = 352;
  h.scl_slope = 1;
  std::memcpy(h.magic, "n+1", 4);
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(&h), sizeof h);
  f.write("\0\0\0\0", 4);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

template <class T>
std::vector<T> read_values(const std::string& path) {
  const InputVolume v = InputVolume::open(path);
  EXPECT_EQ(scalar_bytes(v.datatype()), static_cast<int>(sizeof(T)));
  std::vector<T> out(static_cast<std::size_t>(v.data_bytes() / sizeof(T)));
  v.open_data()->read_exact(out.data(), out.size() * sizeof(T));
  return out;
}

// --datatype converts the stored values: integers rounded half away from
// zero and clamped to the type's range, NaN to 0; the header says the new
// type. Same on the separable and the general path.
TEST_F(Cli, DatatypeConvertsRoundsAndClamps) {
  const std::vector<float> values = {-300.5f, -2.5f, -0.5f, 0.49f, 0.5f, 2.5f, 127.5f, 254.5f,
                                     40000.f, -1e10f, std::nanf(""), 7.25f};
  std::vector<unsigned char> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  write_nii(file("in.nii"), 4, 3, 1, DT_FLOAT32, bytes);
  std::ofstream(file("flip.txt")) << "-1 0 0 3\n0 1 0 0\n0 0 1 0\n0 0 0 1\n";  // x reversed
  for (const bool general : {false, true}) {
    std::vector<std::string> grid = {"--spacing", "1", "1", "1"};
    if (general) grid = {"--affine", file("flip.txt"), "--order", "0"};
    auto at = [&](std::size_t i) { return general ? (i / 4) * 4 + 3 - i % 4 : i; };  // input index of output i
    for (const auto& [type, code] : {std::pair{"int16", DT_INT16}, {"uint8", DT_UINT8}, {"float64", DT_FLOAT64}}) {
      std::vector<std::string> args = {file("in.nii"), file(std::string("out_") + type + ".nii"), "--datatype", type};
      args.insert(args.end(), grid.begin(), grid.end());
      args.push_back("--force");
      ChildResult r = respace(args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_NE(r.out.find(std::string("NIfTI-1, ") + type), std::string::npos) << r.out;
      EXPECT_EQ(InputVolume::open(file(std::string("out_") + type + ".nii")).datatype(), code);
    }
    const std::vector<std::int16_t> i16 = {-301, -3, -1, 0, 1, 3, 128, 255, 32767, -32768, 0, 7};
    const std::vector<std::uint8_t> u8 = {0, 0, 0, 0, 1, 3, 128, 255, 255, 0, 0, 7};
    const std::vector<std::int16_t> got16 = read_values<std::int16_t>(file("out_int16.nii"));
    const std::vector<std::uint8_t> got8 = read_values<std::uint8_t>(file("out_uint8.nii"));
    const std::vector<double> got64 = read_values<double>(file("out_float64.nii"));
    for (std::size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(got16[i], i16[at(i)]) << i << (general ? " general" : " separable");
      EXPECT_EQ(got8[i], u8[at(i)]) << i << (general ? " general" : " separable");
      if (std::isnan(values[at(i)]))
        EXPECT_TRUE(std::isnan(got64[i]));
      else
        EXPECT_EQ(got64[i], static_cast<double>(values[at(i)])) << i;
    }
  }
  // RGB is resampled per channel and written as it came.
  write_nii(file("rgb.nii"), 2, 2, 1, DT_RGB24, std::vector<unsigned char>(12, 9));
  ChildResult r = respace({file("rgb.nii"), file("o.nii"), "--spacing", "1", "1", "1", "--datatype", "int16"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("per channel"), std::string::npos) << r.err;
  r = respace({file("in.nii"), file("o.nii"), "--spacing", "1", "1", "1", "--datatype", "float16"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(fs::exists(file("o.nii")));
}

}  // namespace
}  // namespace respace
