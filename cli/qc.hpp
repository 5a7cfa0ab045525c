// SPDX-License-Identifier: MIT
// --qc FILE.png: a picture of what a job did, gathered while it streams.
//
// The three orthogonal mid-slices (axes of the voxel grid: axial = plane
// z = nz/2, coronal = row y = ny/2 of every plane, sagittal = column
// x = nx/2 of every row) of the input (top row) and the output (bottom
// row), side by side at one physical scale (mm per pixel, the same for
// all six panels) and one intensity window (the 0.5 and 99.5 percentiles
// of the input's three slices), with the slice's spacing and shape written
// under each. A label map (--labels) is drawn with a fixed colour per label
// (0 black). Each slice is taken from the bytes as they pass: the input's
// from its decoded stream (a SourceWatch), the output's from what the
// resampler writes (a SinkWatch), so nothing is read twice; only the first
// volume of a 4-D file is drawn. The slices are the job's "qc slices" in the
// memory account (qc_bytes()).
//
// The picture's layout goes into the report (QcPicture): each panel's
// place, size and mm per pixel. Pixel (u, v) of a panel of a slice of
// a x b voxels of spacing (sa, sb) shows voxel
//     i = floor((u + 0.5) mm / sa),  j = floor((h - 1 - v + 0.5) mm / sb)
// (rows bottom-up), grey = clamp(255 (value - lo) / (hi - lo)).
//
// Thread safety: the watches are fed by one reading and one writing thread
// in stream order (each by its own); render after the job.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/byte_sink.hpp"
#include "io/byte_source.hpp"

namespace respace {

// The three mid-slices of a volume, gathered from its bytes in file order.
class SliceSet {
public:
  // `datatype`: the stored type of one channel; `channels` 1 (3, 4 for RGB).
  SliceSet(std::array<std::int64_t, 3> n, int datatype, bool swap, int channels);
  void feed(const unsigned char* p, std::size_t n);  // the stream's next bytes
  static std::uint64_t bytes_for(std::array<std::int64_t, 3> n, int datatype, int channels);

  std::array<std::int64_t, 3> n;
  std::vector<float> axial, coronal, sagittal;  // nx*ny, nx*nz, ny*nz (x fastest)

private:
  void take_row(const unsigned char* row, std::uint64_t r);
  float value(const unsigned char* voxel) const;
  int datatype_;
  bool swap_;
  int channels_;
  std::uint64_t voxel_bytes_, row_bytes_, volume_bytes_, pos_ = 0;
  std::vector<unsigned char> row_;  // a row that straddles two feeds
};

struct QcPanel {
  std::string name;  // "input axial"
  int x = 0, y = 0, w = 0, h = 0;
  std::int64_t a = 0, b = 0;       // the slice's voxels across and up
  double sa = 0, sb = 0;           // their spacing, mm
  std::int64_t index = 0;          // which plane, row or column
};

struct QcPicture {
  std::string path;
  int width = 0, height = 0;
  double mm_per_pixel = 0;
  double lo = 0, hi = 0;  // the window
  bool labels = false;
  std::vector<QcPanel> panels;
};

class QcCollector {
public:
  QcCollector(std::array<std::int64_t, 3> in_n, int in_datatype, bool in_swap, int in_channels,
              std::array<std::int64_t, 3> out_n, int out_datatype, int out_channels);
  // What the slices hold at most (the memory account's "qc slices").
  static std::uint64_t bytes_for(std::array<std::int64_t, 3> in_n, int in_datatype, int in_channels,
                                 std::array<std::int64_t, 3> out_n, int out_datatype, int out_channels);

  SourceWatch& input_watch() { return *input_; }
  SinkWatch& output_watch() { return *output_; }

  // Draws and writes the picture (io/png_file.hpp). Spacings in mm.
  QcPicture write(const std::string& path, const std::array<double, 3>& in_spacing,
                  const std::array<double, 3>& out_spacing, bool labels, bool replace) const;

private:
  SliceSet in_, out_;
  std::unique_ptr<SourceWatch> input_;
  std::unique_ptr<SinkWatch> output_;
};

}  // namespace respace
