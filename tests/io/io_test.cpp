// SPDX-License-Identifier: MIT
// Byte sources and sinks (gzip edge cases after pigz's `make test`), the
// output header read back by nifticlib, and the atomic output file.
#include <fcntl.h>
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
  EXPECT_EQ(read_all(*src, 200).size(), 200u);
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
    f.commit();
  }
  EXPECT_EQ(fs::file_size(d.file("out.nii")), 3u);
  EXPECT_EQ(d.entries(), 1u);
  EXPECT_THROW(AtomicFile("/nonexistent-folder/x.nii"), Error);
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
  const char ext[] = "an extension, copied byte for byte";
  ASSERT_EQ(nifti_add_extension(nim.get(), ext, sizeof ext, NIFTI_ECODE_COMMENT), 0);

  OutputGrid g;
  g.datatype = DT_INT16;
  g.dims = {40, 50, 60};
  g.pixdim = {0.5, 0.25, 0.125};
  g.qoffset = {1, 2, 3};
  g.sform = {{{0.5, 0, 0, 1}, {0, 0.25, 0, 2}, {0, 0, 0.125, 3}}};
  g.reset_slice_timing = true;
  const SerializedHeader h = serialize_header(*nim, g, 1, false);
  EXPECT_EQ(h.version, 1);
  EXPECT_EQ(h.vox_offset, h.bytes.size());
  EXPECT_EQ(h.vox_offset % 16, 0u);
  auto bytes = h.bytes;
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
  ASSERT_EQ(r.num_ext, 1);
  EXPECT_EQ(r.ext_list[0].ecode, NIFTI_ECODE_COMMENT);
  EXPECT_EQ(std::memcmp(r.ext_list[0].edata, ext, sizeof ext), 0);

  // Over 32767 voxels on an axis: NIfTI-2, read back by nifticlib too.
  g.dims = {40000, 2, 1};
  const SerializedHeader h2 = serialize_header(*nim, g, 1, false);
  EXPECT_EQ(h2.version, 2);
  auto bytes2 = h2.bytes;
  bytes2.resize(bytes2.size() + 40000 * 2 * 2, 0);
  write_file(d.file("h2.nii"), bytes2);
  const InputVolume v2 = InputVolume::open(d.file("h2.nii"));
  EXPECT_EQ(v2.nifti_version(), 2);
  EXPECT_EQ(v2.nx(), 40000);
  ASSERT_EQ(v2.header().num_ext, 1);
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
