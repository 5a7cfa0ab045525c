// SPDX-License-Identifier: MIT
// io/byte_sink: the pigz-style gzip writer: bytes independent of the write split, readable
// by zlib and gzip, valid for empty and tiny streams, with each engine.
#include <fcntl.h>
#include <sys/wait.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/byte_sink.hpp"
#include "io/byte_source.hpp"
#include "io_fixture.hpp"

namespace respace {
namespace {

using namespace io_test;
namespace fs = std::filesystem;

class GzipSinkEngines : public ::testing::TestWithParam<GzipEngine> {};

TEST_P(GzipSinkEngines, OutputIndependentOfWriteSplitAndReadableByZlibAndGzip) {
  if (!have_engine(GetParam())) GTEST_SKIP() << "built without " << to_string(GetParam());
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
  if (!have_engine(GetParam())) GTEST_SKIP() << "built without " << to_string(GetParam());
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

INSTANTIATE_TEST_SUITE_P(Engines, GzipSinkEngines, ::testing::Values(GzipEngine::zlib, GzipEngine::isal, GzipEngine::libdeflate),
                         [](const ::testing::TestParamInfo<GzipEngine>& i) { return std::string(to_string(i.param)); });

}  // namespace
}  // namespace respace
