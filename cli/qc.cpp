// SPDX-License-Identifier: MIT
#include "cli/qc.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "cli/qc_font.hpp"
#include "engine/sample_codec.hpp"
#include "io/nifti_header.hpp"
#include "io/png_file.hpp"

namespace respace {
namespace {

constexpr int kPanelPixels = 300;   // the largest slice extent, in pixels
constexpr int kMargin = 10;
constexpr int kCaption = 26;        // two lines of the 5 x 7 font
constexpr int kMinColumn = 30 * 6;  // room for a caption of 30 characters
constexpr std::size_t kWindowSample = std::size_t{1} << 20;  // values the percentiles are taken from, at most

class WatchedSink final : public ByteSink {
public:
  WatchedSink(std::unique_ptr<ByteSink> inner, SliceSet& set) : inner_(std::move(inner)), set_(set) {}
  void write(const void* src, std::size_t n) override {
    set_.feed(static_cast<const unsigned char*>(src), n);
    inner_->write(src, n);
  }
  void finish() override { inner_->finish(); }
  std::uint64_t file_bytes_written() const override { return inner_->file_bytes_written(); }
  bool encodes() const override { return inner_->encodes(); }
  void cut(const unsigned char* p, std::size_t n, std::vector<ChunkPtr>& full) override {
    set_.feed(p, n);
    inner_->cut(p, n, full);
  }
  void encode(Chunk& c) const override { inner_->encode(c); }
  void write_chunk(const Chunk& c) override { inner_->write_chunk(c); }
  std::size_t peak_chunks() const override { return inner_->peak_chunks(); }
  std::size_t chunk_overflows() const override { return inner_->chunk_overflows(); }

private:
  std::unique_ptr<ByteSink> inner_;
  SliceSet& set_;
};

class SourceSlices final : public SourceWatch {
public:
  explicit SourceSlices(SliceSet& s) : s_(s) {}
  std::unique_ptr<ByteSource> watch(std::unique_ptr<ByteSource> in) override {
    return watched_source(std::move(in), [this](const unsigned char* p, std::size_t n) { s_.feed(p, n); });
  }

private:
  SliceSet& s_;
};

class SinkSlices final : public SinkWatch {
public:
  explicit SinkSlices(SliceSet& s) : s_(s) {}
  std::unique_ptr<ByteSink> watch(std::unique_ptr<ByteSink> out) override {
    return std::make_unique<WatchedSink>(std::move(out), s_);
  }

private:
  SliceSet& s_;
};

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

void draw_text(RgbImage& img, int x, int y, const std::string& text, std::uint8_t grey) {
  for (char c : text) {
    const Glyph& g = glyph(c);
    for (int r = 0; r < 7; ++r)
      for (int col = 0; col < 5; ++col)
        if ((g.rows[r] >> (4 - col)) & 1) {
          const int px = x + col, py = y + r;
          if (px >= 0 && py >= 0 && px < img.width && py < img.height) {
            std::uint8_t* p = img.at(px, py);
            p[0] = p[1] = p[2] = grey;
          }
        }
    x += 6;
  }
}

// A fixed colour per label: 0 black, others spread by a hash of the value.
void label_colour(float v, std::uint8_t* rgb) {
  if (!(v == v) || v == 0.0f) {
    rgb[0] = rgb[1] = rgb[2] = 0;
    return;
  }
  std::uint32_t h = static_cast<std::uint32_t>(static_cast<std::int64_t>(std::llround(static_cast<double>(v)))) * 2654435761u;
  h ^= h >> 15;
  rgb[0] = static_cast<std::uint8_t>(64 + (h & 0xbf));
  rgb[1] = static_cast<std::uint8_t>(64 + ((h >> 8) & 0xbf));
  rgb[2] = static_cast<std::uint8_t>(64 + ((h >> 16) & 0xbf));
}

struct View {
  const std::vector<float>* data;
  std::int64_t a, b;  // across, up
  double sa, sb;
  std::int64_t index;
  const char* name;
};

std::array<View, 3> views(const SliceSet& s, const std::array<double, 3>& sp) {
  return {View{&s.axial, s.n[0], s.n[1], sp[0], sp[1], s.n[2] / 2, "axial"},
          View{&s.coronal, s.n[0], s.n[2], sp[0], sp[2], s.n[1] / 2, "coronal"},
          View{&s.sagittal, s.n[1], s.n[2], sp[1], sp[2], s.n[0] / 2, "sagittal"}};
}

int pixels(double mm, double mm_per_pixel) { return std::max(1, static_cast<int>(std::ceil(mm / mm_per_pixel - 1e-9))); }

}  // namespace

SliceSet::SliceSet(std::array<std::int64_t, 3> dims, int datatype, bool swap, int channels)
    : n(dims), datatype_(datatype), swap_(swap), channels_(channels) {
  voxel_bytes_ = static_cast<std::uint64_t>(scalar_bytes(datatype)) * static_cast<std::uint64_t>(channels);
  row_bytes_ = voxel_bytes_ * static_cast<std::uint64_t>(n[0]);
  volume_bytes_ = row_bytes_ * static_cast<std::uint64_t>(n[1]) * static_cast<std::uint64_t>(n[2]);
  axial.assign(static_cast<std::size_t>(n[0] * n[1]), 0.0f);
  coronal.assign(static_cast<std::size_t>(n[0] * n[2]), 0.0f);
  sagittal.assign(static_cast<std::size_t>(n[1] * n[2]), 0.0f);
  row_.reserve(static_cast<std::size_t>(row_bytes_));
}

std::uint64_t SliceSet::bytes_for(std::array<std::int64_t, 3> n, int datatype, int channels) {
  const auto u = [](std::int64_t v) { return static_cast<std::uint64_t>(v); };
  return 4 * (u(n[0]) * u(n[1]) + u(n[0]) * u(n[2]) + u(n[1]) * u(n[2])) +
         u(n[0]) * static_cast<std::uint64_t>(scalar_bytes(datatype) * channels);
}

float SliceSet::value(const unsigned char* voxel) const {
  float sum = 0;
  visit_datatype(datatype_, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int c = 0; c < channels_; ++c) {
      float v;
      decode<T, float>(voxel + static_cast<std::size_t>(c) * sizeof(T), &v, 1, swap_);
      sum += v;
    }
  });
  return sum / static_cast<float>(channels_);
}

void SliceSet::take_row(const unsigned char* row, std::uint64_t r) {
  const std::int64_t j = static_cast<std::int64_t>(r % static_cast<std::uint64_t>(n[1]));
  const std::int64_t k = static_cast<std::int64_t>(r / static_cast<std::uint64_t>(n[1]));
  const bool in_axial = k == n[2] / 2, in_coronal = j == n[1] / 2;
  if (in_axial || in_coronal)
    for (std::int64_t i = 0; i < n[0]; ++i) {
      const float v = value(row + static_cast<std::size_t>(i) * voxel_bytes_);
      if (in_axial) axial[static_cast<std::size_t>(j * n[0] + i)] = v;
      if (in_coronal) coronal[static_cast<std::size_t>(k * n[0] + i)] = v;
    }
  sagittal[static_cast<std::size_t>(k * n[1] + j)] = value(row + static_cast<std::size_t>(n[0] / 2) * voxel_bytes_);
}

void SliceSet::feed(const unsigned char* p, std::size_t len) {
  while (len > 0 && pos_ < volume_bytes_) {
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(len, volume_bytes_ - pos_));
    if (row_.empty() && pos_ % row_bytes_ == 0 && take >= row_bytes_) {  // whole rows in place
      const std::uint64_t rows = take / row_bytes_;
      for (std::uint64_t r = 0; r < rows; ++r) take_row(p + r * row_bytes_, pos_ / row_bytes_ + r);
      const std::size_t used = static_cast<std::size_t>(rows * row_bytes_);
      p += used;
      len -= used;
      pos_ += used;
      continue;
    }
    const std::size_t room = static_cast<std::size_t>(row_bytes_ - row_.size());
    const std::size_t part = std::min(room, take);
    row_.insert(row_.end(), p, p + part);
    p += part;
    len -= part;
    pos_ += part;
    if (row_.size() == row_bytes_) {
      take_row(row_.data(), pos_ / row_bytes_ - 1);
      row_.clear();
    }
  }
}

QcCollector::QcCollector(std::array<std::int64_t, 3> in_n, int in_datatype, bool in_swap, int in_channels,
                         std::array<std::int64_t, 3> out_n, int out_datatype, int out_channels)
    : in_(in_n, in_datatype, in_swap, in_channels), out_(out_n, out_datatype, false, out_channels),
      input_(std::make_unique<SourceSlices>(in_)), output_(std::make_unique<SinkSlices>(out_)) {}

std::uint64_t QcCollector::bytes_for(std::array<std::int64_t, 3> in_n, int in_datatype, int in_channels,
                                     std::array<std::int64_t, 3> out_n, int out_datatype, int out_channels) {
  return SliceSet::bytes_for(in_n, in_datatype, in_channels) + SliceSet::bytes_for(out_n, out_datatype, out_channels) +
         4 * kWindowSample;
}

QcPicture QcCollector::write(const std::string& path, const std::array<double, 3>& in_spacing,
                             const std::array<double, 3>& out_spacing, bool labels, bool replace) const {
  QcPicture q;
  q.path = path;
  q.labels = labels;
  const std::array<View, 3> rows[2] = {views(in_, in_spacing), views(out_, out_spacing)};
  // One scale for all six panels: the largest extent takes kPanelPixels.
  double largest = 0;
  for (const auto& row : rows)
    for (const View& v : row) largest = std::max({largest, static_cast<double>(v.a) * v.sa, static_cast<double>(v.b) * v.sb});
  q.mm_per_pixel = largest / kPanelPixels;
  // The window: percentiles of a sample of the input's slices.
  std::vector<float> sample;
  std::size_t total = 0;
  for (const View& v : rows[0]) total += v.data->size();
  const std::size_t stride = std::max<std::size_t>(1, total / kWindowSample + 1);
  std::size_t at = 0;
  for (const View& v : rows[0])
    for (float x : *v.data) {
      if (at++ % stride == 0 && std::isfinite(x)) sample.push_back(x);
    }
  if (!sample.empty()) {
    const auto pick = [&](double f) {
      const std::size_t i = std::min(sample.size() - 1, static_cast<std::size_t>(f * static_cast<double>(sample.size() - 1)));
      std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(i), sample.end());
      return static_cast<double>(sample[i]);
    };
    q.lo = pick(0.005);
    q.hi = pick(0.995);
  }
  if (!(q.hi > q.lo)) q.hi = q.lo + 1;
  // Layout: columns as wide as their widest panel (or a caption).
  int col_w[3], row_h[2] = {0, 0};
  for (int c = 0; c < 3; ++c) {
    col_w[c] = kMinColumn;
    for (int r = 0; r < 2; ++r) {
      const View& v = rows[r][static_cast<std::size_t>(c)];
      col_w[c] = std::max(col_w[c], pixels(static_cast<double>(v.a) * v.sa, q.mm_per_pixel));
      row_h[r] = std::max(row_h[r], pixels(static_cast<double>(v.b) * v.sb, q.mm_per_pixel));
    }
  }
  const int title = 7 + 2 * kMargin;
  q.width = kMargin + (col_w[0] + kMargin) + (col_w[1] + kMargin) + (col_w[2] + kMargin);
  q.height = title + row_h[0] + kCaption + kMargin + row_h[1] + kCaption + kMargin;
  RgbImage img(q.width, q.height, 24);
  draw_text(img, kMargin, kMargin,
            std::string("respace qc: input (top), output (bottom), mid-slices, ") + fmt("%.4g", q.mm_per_pixel) +
                " mm per pixel" + (labels ? ", labels" : ", window " + fmt("%.4g", q.lo) + " to " + fmt("%.4g", q.hi)),
            220);
  int y0 = title;
  for (int r = 0; r < 2; ++r) {
    int x0 = kMargin;
    for (int c = 0; c < 3; ++c) {
      const View& v = rows[r][static_cast<std::size_t>(c)];
      QcPanel panel;
      panel.name = std::string(r == 0 ? "input " : "output ") + v.name;
      panel.w = pixels(static_cast<double>(v.a) * v.sa, q.mm_per_pixel);
      panel.h = pixels(static_cast<double>(v.b) * v.sb, q.mm_per_pixel);
      panel.x = x0 + (col_w[c] - panel.w) / 2;
      panel.y = y0 + (row_h[r] - panel.h);  // bottom-aligned above the caption
      panel.a = v.a;
      panel.b = v.b;
      panel.sa = v.sa;
      panel.sb = v.sb;
      panel.index = v.index;
      for (int pv = 0; pv < panel.h; ++pv) {
        const std::int64_t j = std::min<std::int64_t>(
            v.b - 1, static_cast<std::int64_t>((static_cast<double>(panel.h - 1 - pv) + 0.5) * q.mm_per_pixel / v.sb));
        for (int pu = 0; pu < panel.w; ++pu) {
          const std::int64_t i = std::min<std::int64_t>(
              v.a - 1, static_cast<std::int64_t>((static_cast<double>(pu) + 0.5) * q.mm_per_pixel / v.sa));
          const float x = (*v.data)[static_cast<std::size_t>(j * v.a + i)];
          std::uint8_t* px = img.at(panel.x + pu, panel.y + pv);
          if (labels) {
            label_colour(x, px);
          } else {
            const double g = std::isfinite(x) ? std::clamp((static_cast<double>(x) - q.lo) / (q.hi - q.lo), 0.0, 1.0) : 0.0;
            px[0] = px[1] = px[2] = static_cast<std::uint8_t>(std::lround(255 * g));
          }
        }
      }
      const char* axis = c == 0 ? "z" : c == 1 ? "y" : "x";
      draw_text(img, x0, y0 + row_h[r] + 4, panel.name + ", " + axis + " = " + std::to_string(v.index), 220);
      draw_text(img, x0, y0 + row_h[r] + 15,
                fmt("%.4g", v.sa) + " x " + fmt("%.4g", v.sb) + " mm, " + std::to_string(v.a) + " x " + std::to_string(v.b),
                170);
      q.panels.push_back(panel);
      x0 += col_w[c] + kMargin;
    }
    y0 += row_h[r] + kCaption + kMargin;
  }
  write_png(path, img, replace);
  return q;
}

}  // namespace respace
