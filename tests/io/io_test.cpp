// SPDX-License-Identifier: MIT
// Byte sources and sinks (gzip edge cases after pigz's `make test`), the
// output header read back by nifticlib, and the atomic output file.
#include <fcntl.h>
#include <sys/wait.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "io/atomic_file.hpp"
#include "io/byte_sink.hpp"
#include "io/byte_source.hpp"
#include "io/error.hpp"
#include "io/nifti_header.hpp"
#include "io/nifti_output.hpp"
#include "../engine/memory_streams.hpp"

namespace respace {
namespace {

namespace fs = std::filesystem;

class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/respace-io-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::size_t entries() const { return static_cast<std::size_t>(std::distance(fs::directory_iterator(path_), fs::directory_iterator())); }
  std::string path() const { return path_.string(); }

private:
  fs::path path_;
};

std::vector<unsigned char> gzip_bytes(const std::vector<unsigned char>& data, int level = 6) {
  z_stream zs{};
  deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::vector<unsigned char> out(deflateBound(&zs, data.size()) + 64);
  zs.next_in = const_cast<unsigned char*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void write_file(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<unsigned char> pattern(std::size_t n, unsigned seed = 1) {
  std::vector<unsigned char> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<unsigned char>(rng() % 7);  // compressible
  return v;
}

std::vector<unsigned char> read_all(ByteSource& s, std::size_t n) {
  std::vector<unsigned char> v(n);
  s.read_exact(v.data(), n);
  s.finish();
  return v;
}

void expect_bad_input(const std::string& path, std::size_t n, const std::string& words,
                      GzipEngine engine = default_gzip_engine()) {
  try {
    auto src = open_byte_source(path, 0, engine);
    std::vector<unsigned char> v(n);
    src->read_exact(v.data(), n);
    src->finish();
    FAIL() << "expected an error mentioning '" << words << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << "message names the file";
  }
}

class GzipSourceEngines : public ::testing::TestWithParam<GzipEngine> {
protected:
  void SetUp() override {
    if (GetParam() == GzipEngine::isal && !have_isal()) GTEST_SKIP() << "built without ISA-L";
  }
};

TEST_P(GzipSourceEngines, ReadsWithOffsetAcrossBufferRefills) {
  TempDir d;
  const auto data = pattern(3 * kReadBuffer + 12345);
  write_file(d.file("a.gz"), gzip_bytes(data, 1));
  auto src = open_byte_source(d.file("a.gz"), 1000, GetParam());
  EXPECT_TRUE(src->is_gzip());
  const auto got = read_all(*src, data.size() - 1000);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), data.begin() + 1000));
}

// Found by fuzz_header: a stream that fails while skipping to the data
// offset must not leak the inflate state (the sanitizer build checks leaks).
TEST_P(GzipSourceEngines, FailingWhileSkippingToTheOffsetLeaksNothing) {
  TempDir d;
  const auto gz = gzip_bytes(pattern(5000));
  write_file(d.file("short.gz"), std::vector<unsigned char>(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)));
  EXPECT_THROW(open_byte_source(d.file("short.gz"), 4000, GetParam()), Error);
  auto bad = gz;
  bad[12] ^= 0xff;
  bad[13] ^= 0xff;
  write_file(d.file("bad.gz"), bad);
  EXPECT_THROW(open_byte_source(d.file("bad.gz"), 4000, GetParam()), Error);
}

TEST_P(GzipSourceEngines, SeveralMembersReadAsOneStream) {
  TempDir d;
  const auto a = pattern(70000, 1), b = pattern(5, 2), c = pattern(90000, 3);
  auto bytes = gzip_bytes(a);
  for (const auto* part : {&b, &c}) {
    auto g = gzip_bytes(*part);
    bytes.insert(bytes.end(), g.begin(), g.end());
  }
  write_file(d.file("m.gz"), bytes);
  auto src = open_byte_source(d.file("m.gz"), 0, GetParam());
  auto all = a;
  all.insert(all.end(), b.begin(), b.end());
  all.insert(all.end(), c.begin(), c.end());
  EXPECT_TRUE(read_all(*src, all.size()) == all);
}

TEST_P(GzipSourceEngines, EmptyMemberBetweenMembers) {
  TempDir d;
  const auto a = pattern(100), e = std::vector<unsigned char>{};
  auto bytes = gzip_bytes(a);
  auto empty = gzip_bytes(e);
  bytes.insert(bytes.end(), empty.begin(), empty.end());
  auto again = gzip_bytes(a);
  bytes.insert(bytes.end(), again.begin(), again.end());
  write_file(d.file("e.gz"), bytes);
  auto src = open_byte_source(d.file("e.gz"), 0, GetParam());
  auto want = a;
  want.insert(want.end(), a.begin(), a.end());
  EXPECT_TRUE(read_all(*src, 200) == want) << "the members on both sides of the empty one, in order";
}


TEST_P(GzipSourceEngines, TruncatedCorruptAndTrailingGarbageAreErrors) {
  TempDir d;
  const auto data = pattern(200000);
  const auto gz = gzip_bytes(data);
  write_file(d.file("trunc.gz"), std::vector<unsigned char>(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)));
  expect_bad_input(d.file("trunc.gz"), data.size(), "truncated", GetParam());
  // Cut inside the 8-byte trailer: all data arrives, the CRC does not.
  write_file(d.file("trailer.gz"), std::vector<unsigned char>(gz.begin(), gz.end() - 3));
  expect_bad_input(d.file("trailer.gz"), data.size(), "truncated", GetParam());
  auto bad = gz;
  bad[bad.size() / 2] ^= 0x55;
  bad[bad.size() / 2 + 1] ^= 0xAA;
  write_file(d.file("corrupt.gz"), bad);
  expect_bad_input(d.file("corrupt.gz"), data.size(), "gzip", GetParam());
  auto junk = gz;
  for (unsigned char c : {'j', 'u', 'n', 'k'}) junk.push_back(c);
  write_file(d.file("junk.gz"), junk);
  expect_bad_input(d.file("junk.gz"), data.size(), "trailing garbage", GetParam());
  // The stream is shorter than the header promised.
  write_file(d.file("short.gz"), gz);
  expect_bad_input(d.file("short.gz"), data.size() + 1, "truncated", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Engines, GzipSourceEngines, ::testing::Values(GzipEngine::zlib, GzipEngine::isal),
                         [](const ::testing::TestParamInfo<GzipEngine>& i) { return std::string(to_string(i.param)); });

TEST(RawSource, TinyAndTruncatedFiles) {
  TempDir d;
  for (std::size_t n : {0u, 1u, 2u, 3u}) {
    write_file(d.file("tiny"), pattern(n));
    auto src = open_byte_source(d.file("tiny"), 0);
    EXPECT_FALSE(src->is_gzip());
    std::vector<unsigned char> v(n);
    src->read_exact(v.data(), n);
    expect_bad_input(d.file("tiny"), n + 1, "truncated");
  }
  expect_bad_input(d.file("missing"), 1, "cannot open");
}

class GzipSinkEngines : public ::testing::TestWithParam<GzipEngine> {};

TEST_P(GzipSinkEngines, OutputIndependentOfWriteSplitAndReadableByZlibAndGzip) {
  if (GetParam() == GzipEngine::isal && !have_isal()) GTEST_SKIP() << "built without ISA-L";
  TempDir d;
  const auto data = pattern(3 * kWriteBuffer + 777);
  std::vector<std::vector<unsigned char>> files;
  for (std::size_t piece : {std::size_t{1} << 22, std::size_t{4096}, std::size_t{77777}}) {
    const std::string path = d.file("s" + std::to_string(piece) + ".gz");
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    SinkOptions so;
    so.gzip_level = 6;
    so.engine = GetParam();
    auto sink = make_byte_sink(fd, path, so);
    for (std::size_t at = 0; at < data.size(); at += piece)
      sink->write(data.data() + at, std::min(piece, data.size() - at));
    sink->finish();
    ::close(fd);
    std::ifstream f(path, std::ios::binary);
    files.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    auto src = open_byte_source(path, 0);
    EXPECT_TRUE(read_all(*src, data.size()) == data);
    EXPECT_EQ(std::system(("gzip -t " + path).c_str()), 0);
  }
  EXPECT_TRUE(files[0] == files[1]);
  EXPECT_TRUE(files[0] == files[2]);
}

TEST_P(GzipSinkEngines, EmptyAndTinyStreamsAreValidGzip) {
  if (GetParam() == GzipEngine::isal && !have_isal()) GTEST_SKIP() << "built without ISA-L";
  TempDir d;
  for (std::size_t n : {0u, 1u, 2u, 3u, 40000u}) {
    const std::string path = d.file("t" + std::to_string(n) + ".gz");
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    SinkOptions so;
    so.gzip_level = 1;
    so.engine = GetParam();
    auto sink = make_byte_sink(fd, path, so);
    const auto data = pattern(n, 9);
    sink->write(data.data(), data.size());
    sink->finish();
    ::close(fd);
    EXPECT_EQ(std::system(("gzip -t " + path).c_str()), 0) << n;
    auto src = open_byte_source(path, 0);
    EXPECT_TRUE(read_all(*src, n) == data);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, GzipSinkEngines, ::testing::Values(GzipEngine::zlib, GzipEngine::isal),
                         [](const ::testing::TestParamInfo<GzipEngine>& i) { return std::string(to_string(i.param)); });

TEST(GzipCodec, CrcJoinAndLevels) {
  const auto a = pattern(1000, 1), b = pattern(777, 2);
  auto ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  const std::uint32_t ca = crc32_update(0, a.data(), a.size()), cb = crc32_update(0, b.data(), b.size());
  EXPECT_EQ(crc32_join(ca, cb, b.size()), crc32_update(0, ab.data(), ab.size()));
  EXPECT_EQ(crc32_join(ca, 0, 0), ca);  // an empty piece changes nothing
  EXPECT_EQ(crc32_update(0, reinterpret_cast<const unsigned char*>("123456789"), 9), 0xCBF43926u);
  EXPECT_EQ(engine_level(GzipEngine::isal, 1), 1);
  EXPECT_EQ(engine_level(GzipEngine::isal, 6), 3);
  EXPECT_EQ(engine_level(GzipEngine::zlib, 6), 6);
}

TEST(GzipCodec, DefaultProfile) {
  const GzipChoice ints = choose_gzip(std::nullopt, std::nullopt, false);
  EXPECT_EQ(ints.engine, GzipEngine::zlib);
  EXPECT_EQ(ints.level, 2);
  EXPECT_EQ(ints.input, default_gzip_engine());
  const GzipChoice floats = choose_gzip(std::nullopt, std::nullopt, true);
  EXPECT_EQ(floats.engine, have_isal() ? GzipEngine::isal : GzipEngine::zlib);
  EXPECT_EQ(floats.level, have_isal() ? 6 : 2);
  const GzipChoice named = choose_gzip(GzipEngine::zlib, std::nullopt, true);
  EXPECT_EQ(named.engine, GzipEngine::zlib);
  EXPECT_EQ(named.level, 6);
  EXPECT_EQ(named.input, GzipEngine::zlib) << "an engine named by the user also inflates";
  EXPECT_EQ(choose_gzip(std::nullopt, 9, false).level, 9);
}

TEST(AtomicFile, RemovedUnlessCommitted) {
  TempDir d;
  {
    AtomicFile f(d.file("out.nii"));
    ASSERT_EQ(::write(f.fd(), "abc", 3), 3);
    EXPECT_TRUE(fs::exists(f.temp_path()));
    EXPECT_FALSE(fs::exists(d.file("out.nii")));
  }
  EXPECT_EQ(d.entries(), 0u) << "no temporary file left behind";
  {
    AtomicFile f(d.file("out.nii"));
    ASSERT_EQ(::write(f.fd(), "abc", 3), 3);
    f.commit(false);
  }
  EXPECT_EQ(fs::file_size(d.file("out.nii")), 3u);
  EXPECT_EQ(d.entries(), 1u);
  EXPECT_THROW(AtomicFile("/nonexistent-folder/x.nii"), Error);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void spit(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Without --force a file that appears at the target while respace writes is
// kept and the commit fails; with it, it is replaced.
TEST(AtomicFile, NeverReplacesWithoutForce) {
  TempDir d;
  {
    AtomicFile f(d.file("out.nii"));
    ASSERT_EQ(::write(f.fd(), "new", 3), 3);
    spit(d.file("out.nii"), "other run");
    try {
      f.commit(false);
      FAIL() << "replaced a file that appeared";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_output);
      EXPECT_NE(std::string(e.what()).find("appeared"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(slurp(d.file("out.nii")), "other run");
  EXPECT_EQ(d.entries(), 1u) << "the temporary file is gone";
  {
    AtomicFile f(d.file("out.nii"));
    ASSERT_EQ(::write(f.fd(), "new", 3), 3);
    f.commit(true);
  }
  EXPECT_EQ(slurp(d.file("out.nii")), "new");
}

// A 255-character output name still leaves room for the temporary name.
TEST(AtomicFile, TemporaryNameIsShort) {
  TempDir d;
  const std::string name = d.file(std::string(248, 'o') + ".nii.gz");
  AtomicFile f(name);
  EXPECT_LT(base_of(f.temp_path()).size(), 40u) << f.temp_path();
  f.commit(false);
  EXPECT_TRUE(fs::exists(name));
}

// A pair whose header cannot be put in place (the .hdr is now a folder)
// leaves the old image where it was, with --force and without.
TEST(AtomicFile, PairIsNeverLeftMixed) {
  TempDir d;
  for (bool replace : {true, false}) {
    spit(d.file("p.img"), "old image");
    fs::remove_all(d.file("p.hdr"));
    {
      AtomicFile img(d.file(replace ? "p.img" : "q.img")), hdr(d.file(replace ? "p.hdr" : "q.hdr"));
      ASSERT_EQ(::write(img.fd(), "new image", 9), 9);
      fs::create_directories(d.file(replace ? "p.hdr/x" : "q.hdr/x"));
      EXPECT_THROW(commit_pair(img, hdr, replace), Error);
    }
    EXPECT_EQ(slurp(d.file("p.img")), "old image");
    EXPECT_FALSE(fs::exists(d.file("q.img"))) << "the new image is undone when it had no old one";
    for (const auto& e : fs::directory_iterator(d.path()))
      EXPECT_NE(e.path().filename().string().rfind(".respace", 0), 0u) << e.path();
    fs::remove_all(d.file("q.hdr"));
  }
  {  // and the pair commits whole when nothing is in the way
    AtomicFile img(d.file("p.img")), hdr(d.file("p.hdr"));
    fs::remove_all(d.file("p.hdr"));
    ASSERT_EQ(::write(img.fd(), "new image", 9), 9);
    ASSERT_EQ(::write(hdr.fd(), "new header", 10), 10);
    commit_pair(img, hdr, true);
  }
  EXPECT_EQ(slurp(d.file("p.img")), "new image");
  EXPECT_EQ(slurp(d.file("p.hdr")), "new header");
}

// Temporary names of processes that are gone are reported; this process's
// own and a running one's are not.
TEST(AtomicFile, StaleTemporariesAreFound) {
  TempDir d;
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // a pid that is no longer running
  spit(d.file(".respace-" + std::to_string(child) + "-abcdef"), "left");
  spit(d.file(".respace-" + std::to_string(::getppid()) + "-abcdef"), "running");
  AtomicFile mine(d.file("out.nii"));
  const auto stale = stale_temporaries(d.path());
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_NE(stale[0].find(".respace-" + std::to_string(child) + "-abcdef"), std::string::npos);
}

TEST(OutputNames, ByExtension) {
  EXPECT_FALSE(output_names("a.nii").pair());
  EXPECT_TRUE(output_names("a.nii.gz").gzip);
  const OutputNames p = output_names("dir/a.img");
  EXPECT_EQ(p.header, "dir/a.hdr");
  EXPECT_EQ(p.image, "dir/a.img");
  const OutputNames pg = output_names("a.hdr.gz");
  EXPECT_EQ(pg.image, "a.img.gz");
  EXPECT_TRUE(pg.gzip);
  EXPECT_THROW(output_names("a.mgz"), Error);
}

// A header with an extension and every field SPEC §5 says to copy, written
// by serialize_header and read back by nifticlib itself.
TEST(NiftiOutput, HeaderRoundTripThroughNifticlib) {
  TempDir d;
  int64_t dims[8] = {3, 4, 5, 6, 1, 1, 1, 1};
  NiftiImagePtr nim(nifti_make_new_nim(dims, DT_INT16, 0));
  nim->qform_code = 1;
  nim->sform_code = 2;
  nim->intent_code = NIFTI_INTENT_ZSCORE;
  nim->intent_p1 = 1.5;
  std::strcpy(nim->intent_name, "zz");
  std::strcpy(nim->descrip, "respace test");
  std::strcpy(nim->aux_file, "aux");
  nim->cal_min = -3;
  nim->cal_max = 7;
  nim->scl_slope = 2;
  nim->scl_inter = 10;
  nim->xyz_units = NIFTI_UNITS_MM;
  nim->time_units = NIFTI_UNITS_SEC;
  nim->slice_dim = 3;
  nim->slice_code = NIFTI_SLICE_SEQ_INC;
  nim->slice_end = 5;
  nim->slice_duration = 0.25;
  nim->toffset = 3.5;
  // The extension the writer streams after the header (copy_extensions):
  // esize, ecode, the bytes padded to a multiple of 16.
  const char ext[] = "an extension, copied byte for byte";
  const std::int32_t esize = (8 + static_cast<std::int32_t>(sizeof ext) + 15) / 16 * 16;
  std::vector<unsigned char> ext_block(static_cast<std::size_t>(esize), 0);
  const std::int32_t ext_head[2] = {esize, NIFTI_ECODE_COMMENT};
  std::memcpy(ext_block.data(), ext_head, 8);
  std::memcpy(ext_block.data() + 8, ext, sizeof ext);

  OutputGrid g;
  g.datatype = DT_INT16;
  g.dims = {40, 50, 60};
  g.pixdim = {0.5, 0.25, 0.125};
  g.qoffset = {1, 2, 3};
  g.sform = {{{0.5, 0, 0, 1}, {0, 0.25, 0, 2}, {0, 0, 0.125, 3}}};
  g.reset_slice_timing = true;
  const SerializedHeader h = serialize_header(*nim, g, 1, false, {1, static_cast<std::uint64_t>(esize)});
  EXPECT_EQ(h.version, 1);
  auto bytes = h.bytes;
  bytes.insert(bytes.end(), ext_block.begin(), ext_block.end());
  EXPECT_EQ(h.vox_offset, bytes.size());
  EXPECT_EQ(h.vox_offset % 16, 0u);
  bytes.resize(bytes.size() + 40 * 50 * 60 * 2, 0);
  write_file(d.file("h.nii"), bytes);

  const InputVolume v = InputVolume::open(d.file("h.nii"));
  const nifti_image& r = v.header();
  EXPECT_EQ(r.nx, 40);
  EXPECT_EQ(r.ny, 50);
  EXPECT_EQ(r.nz, 60);
  EXPECT_DOUBLE_EQ(r.dz, 0.125);
  EXPECT_DOUBLE_EQ(r.qoffset_z, 3);
  EXPECT_DOUBLE_EQ(r.sto_xyz.m[1][1], 0.25);
  EXPECT_EQ(r.qform_code, 1);
  EXPECT_EQ(r.sform_code, 2);
  EXPECT_EQ(r.intent_code, NIFTI_INTENT_ZSCORE);
  EXPECT_DOUBLE_EQ(r.intent_p1, 1.5);
  EXPECT_STREQ(r.intent_name, "zz");
  EXPECT_STREQ(r.descrip, "respace test");
  EXPECT_STREQ(r.aux_file, "aux");
  EXPECT_DOUBLE_EQ(r.cal_max, 7);
  EXPECT_DOUBLE_EQ(r.scl_slope, 2);
  EXPECT_DOUBLE_EQ(r.scl_inter, 10);
  EXPECT_EQ(r.xyz_units, NIFTI_UNITS_MM);
  EXPECT_EQ(r.time_units, NIFTI_UNITS_SEC);
  EXPECT_DOUBLE_EQ(r.toffset, 3.5);
  EXPECT_DOUBLE_EQ(r.slice_duration, 0.25);
  EXPECT_EQ(r.slice_code, 0);
  EXPECT_EQ(r.slice_end, 0);
  EXPECT_EQ(v.extension_count(), 1u);
  EXPECT_EQ(v.extension_bytes(), static_cast<std::uint64_t>(esize));
  EXPECT_EQ(r.num_ext, 0) << "respace never loads extensions";
  {  // nifticlib, reading the whole file, finds the extension where the header says
    NiftiImagePtr back(nifti_image_read(d.file("h.nii").c_str(), 0));
    ASSERT_TRUE(back);
    ASSERT_EQ(back->num_ext, 1);
    EXPECT_EQ(back->ext_list[0].ecode, NIFTI_ECODE_COMMENT);
    EXPECT_EQ(std::memcmp(back->ext_list[0].edata, ext, sizeof ext), 0);
  }

  // Over 32767 voxels on an axis: NIfTI-2, read back by nifticlib too.
  g.dims = {40000, 2, 1};
  const SerializedHeader h2 = serialize_header(*nim, g, 1, false, {1, static_cast<std::uint64_t>(esize)});
  EXPECT_EQ(h2.version, 2);
  auto bytes2 = h2.bytes;
  bytes2.insert(bytes2.end(), ext_block.begin(), ext_block.end());
  EXPECT_EQ(h2.vox_offset, bytes2.size());
  bytes2.resize(bytes2.size() + 40000 * 2 * 2, 0);
  write_file(d.file("h2.nii"), bytes2);
  const InputVolume v2 = InputVolume::open(d.file("h2.nii"));
  EXPECT_EQ(v2.nifti_version(), 2);
  EXPECT_EQ(v2.nx(), 40000);
  EXPECT_EQ(v2.extension_count(), 1u);
}

// Extensions stream from the input to an output without being held: two of
// them in a big-endian file come out in this machine's byte order, their
// bytes unchanged, and the padding zeros after them are not an extension.
TEST(InputVolume, ExtensionsAreStreamedInTheMachinesByteOrder) {
  TempDir d;
  int64_t dims[8] = {3, 2, 2, 2, 1, 1, 1, 1};
  NiftiImagePtr nim(nifti_make_new_nim(dims, DT_UINT8, 0));
  nifti_1_header h;
  ASSERT_EQ(nifti_convert_nim2n1hdr(nim.get(), &h), 0);
  const std::vector<unsigned char> a(24, 'a'), b(40, 'b');
  const std::uint64_t total = (8 + a.size()) + (8 + b.size());
  h.vox_offset = static_cast<float>(348 + 4 + total + 32);  // 32 bytes of zero padding
  swap_nifti_header(&h, 1);                                // stored big-endian
  std::vector<unsigned char> file(sizeof h);
  std::memcpy(file.data(), &h, sizeof h);
  const unsigned char extender[4] = {1, 0, 0, 0};
  file.insert(file.end(), extender, extender + 4);
  auto put_be = [&](std::int32_t v) {
    for (int s = 24; s >= 0; s -= 8) file.push_back(static_cast<unsigned char>(static_cast<std::uint32_t>(v) >> s));
  };
  put_be(static_cast<std::int32_t>(8 + a.size()));
  put_be(NIFTI_ECODE_COMMENT);
  file.insert(file.end(), a.begin(), a.end());
  put_be(static_cast<std::int32_t>(8 + b.size()));
  put_be(NIFTI_ECODE_XCEDE);
  file.insert(file.end(), b.begin(), b.end());
  file.resize(file.size() + 32 + 8, 7);  // padding zeros, then the 8 data bytes
  std::fill(file.end() - 40, file.end() - 8, 0);
  write_file(d.file("be.nii"), file);

  const InputVolume v = InputVolume::open(d.file("be.nii"));
  EXPECT_TRUE(v.needs_swap() || v.bytes_per_voxel() == 1);
  EXPECT_EQ(v.extension_count(), 2u);
  EXPECT_EQ(v.extension_bytes(), total);
  EXPECT_EQ(v.data_offset(), 348 + 4 + total + 32);
  testing::MemorySink sink;
  v.copy_extensions(sink);
  std::vector<unsigned char> want;
  auto put_le = [&](std::int32_t x) {
    const auto* p = reinterpret_cast<const unsigned char*>(&x);
    want.insert(want.end(), p, p + 4);
  };
  put_le(static_cast<std::int32_t>(8 + a.size()));
  put_le(NIFTI_ECODE_COMMENT);
  want.insert(want.end(), a.begin(), a.end());
  put_le(static_cast<std::int32_t>(8 + b.size()));
  put_le(NIFTI_ECODE_XCEDE);
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(sink.bytes, want);
}

TEST(InputVolume, ClearErrorsForBadFiles) {
  TempDir d;
  write_file(d.file("zero.nii"), {});
  write_file(d.file("random.nii"), pattern(1000));
  for (const char* name : {"zero.nii", "random.nii", "missing.nii"}) {
    try {
      InputVolume::open(d.file(name));
      FAIL() << name;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace respace
