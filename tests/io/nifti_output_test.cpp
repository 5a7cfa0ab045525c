// SPDX-License-Identifier: MIT
// io/nifti_output: output names by extension, the header written and read back by nifticlib.
#include <fcntl.h>
#include <sys/wait.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/nifti_header.hpp"
#include "io/nifti_output.hpp"
#include "io_fixture.hpp"

namespace respace {
namespace {

using namespace io_test;
namespace fs = std::filesystem;

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

}  // namespace
}  // namespace respace
