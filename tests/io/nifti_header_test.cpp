// SPDX-License-Identifier: MIT
// io/nifti_header and io/raw_header: extensions streamed in this machine's byte order,
// clear errors for bad files.
#include <fcntl.h>
#include <sys/wait.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/nifti_header.hpp"
#include "io/error.hpp"
#include "../engine/memory_streams.hpp"
#include "io_fixture.hpp"

namespace respace {
namespace {

using namespace io_test;
namespace fs = std::filesystem;

// A NIfTI-1 header of an nx x ny x nz uint8 volume, as nifticlib makes it.
nifti_1_header uint8_header(std::int64_t nx, std::int64_t ny, std::int64_t nz) {
  int64_t dims[8] = {3, nx, ny, nz, 1, 1, 1, 1};
  NiftiImagePtr nim(nifti_make_new_nim(dims, DT_UINT8, 0));
  nifti_1_header h{};
  EXPECT_EQ(nifti_convert_nim2n1hdr(nim.get(), &h), 0);
  return h;
}

// Extensions stream from the input to an output without being held: two of
// them in a big-endian file come out in this machine's byte order, their
// bytes unchanged, and the padding zeros after them are not an extension.
TEST(InputVolume, ExtensionsAreStreamedInTheMachinesByteOrder) {
  TempDir d;
  nifti_1_header h = uint8_header(2, 2, 2);
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


// An ANALYZE 7.5 pair (no NIfTI magic) keeps its vox_offset into the .img,
// as nifticlib reads it: the data start there, not at 0.
TEST(InputVolume, AnalyzePairKeepsItsImageOffset) {
  TempDir d;
  nifti_1_header h = uint8_header(2, 2, 1);
  std::memset(h.magic, 0, sizeof h.magic);  // ANALYZE
  h.vox_offset = 16;
  std::vector<unsigned char> hdr(sizeof h);
  std::memcpy(hdr.data(), &h, sizeof h);
  write_file(d.file("a.hdr"), hdr);
  std::vector<unsigned char> img(16, 0xEE);
  img.insert(img.end(), {1, 2, 3, 4});
  write_file(d.file("a.img"), img);
  const InputVolume v = InputVolume::open(d.file("a.hdr"));
  EXPECT_EQ(v.nifti_version(), 1);
  EXPECT_EQ(v.data_offset(), 16u);
  auto src = v.open_data();
  unsigned char got[4];
  src->read_exact(got, 4);
  EXPECT_EQ(std::vector<unsigned char>(got, got + 4), (std::vector<unsigned char>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace respace
