// SPDX-License-Identifier: MIT
// respace_make_volume: writes a synthetic test volume plane by plane, never
// holding more than one plane, so the demo, the tests and the benchmarks can
// make volumes of any size (GBs) on a small machine.
//
//   respace_make_volume OUT NX NY NZ [--spacing S] [--datatype float32|int16|uint16|uint8|uint32]
//                       [--pattern smooth|specimen|noise|zplanes] [--level N]
//
// smooth: a sum of slow sinusoids and a bright sphere, integral values
// (compresses very well); specimen: an ellipsoid of tissue (the smooth
// field plus Gaussian-like noise, sigma 25) in an exactly zero background,
// like a scanned specimen (512^3 float32 gzips about 2.5:1, as real 100 um
// volumes do); noise: deterministic pseudo-random values (compresses poorly);
// zplanes: every voxel of plane z is z % 251 (for tests of huge sizes);
// labels: a label map of --labels N labels (default 100) in cells of 8^3
// voxels with wavy borders, label IDs 1 + (hash of the cell) % N, times
// --label-scale (default 1; e.g. 1000003 for IDs past 2^24). Geometry: sform = qform = diag(S) with the
// origin at the centre of the volume, codes 1.
#include <nifti/nifti2_io.h>

#include <cmath>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "engine/sample_codec.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_sink.hpp"
#include "io/error.hpp"
#include "io/nifti_header.hpp"
#include "io/nifti_output.hpp"

using namespace respace;

namespace {

// Separable tables, so a GB-sized volume takes seconds: value =
// fx[x] * fy[y] + fz[z] (+ 1500 inside a sphere), rounded to an integer.
struct Smooth {
  std::vector<double> fx, fy, fz;
  std::int64_t n[3];
  explicit Smooth(const std::int64_t dims[3]) {
    for (int k = 0; k < 3; ++k) n[k] = dims[k];
    auto table = [](std::int64_t len, double cycles, double amp, bool cosine) {
      std::vector<double> t(static_cast<std::size_t>(len));
      for (std::int64_t i = 0; i < len; ++i) {
        const double u = 6.283185307179586 * cycles * static_cast<double>(i) / static_cast<double>(len);
        t[static_cast<std::size_t>(i)] = amp * (cosine ? std::cos(u) : std::sin(u));
      }
      return t;
    };
    fx = table(n[0], 3, 400, false);
    fy = table(n[1], 2, 1, true);
    fz = table(n[2], 1.5, 300, false);
  }
  double operator()(std::int64_t x, std::int64_t y, std::int64_t z) const {
    double s = fx[static_cast<std::size_t>(x)] * fy[static_cast<std::size_t>(y)] + fz[static_cast<std::size_t>(z)];
    const double dx = static_cast<double>(x) / static_cast<double>(n[0]) - 0.5;
    const double dy = static_cast<double>(y) / static_cast<double>(n[1]) - 0.45;
    const double dz = static_cast<double>(z) / static_cast<double>(n[2]) - 0.55;
    if (dx * dx + dy * dy + dz * dz < 0.04) s += 1500;
    return std::round(s);  // integral values compress well and fit every type
  }
};

double noise_value(std::uint64_t i) {
  i ^= i >> 33; i *= 0xff51afd7ed558ccdULL; i ^= i >> 33; i *= 0xc4ceb9fe1a85ec53ULL; i ^= i >> 33;
  return static_cast<double>(i % 2000) - 1000.0;
}

// Sum of four uniforms, centred and scaled to unit variance.
double gaussian_like(std::uint64_t i) {
  double s = 0;
  for (std::uint64_t k = 0; k < 4; ++k) s += (noise_value(i * 4 + k) + 1000.0) / 2000.0;
  return (s - 2.0) * std::sqrt(3.0);
}

bool in_specimen(std::int64_t x, std::int64_t y, std::int64_t z, const std::int64_t n[3]) {
  const double u = (static_cast<double>(x) + 0.5) / static_cast<double>(n[0]) - 0.5;
  const double v = (static_cast<double>(y) + 0.5) / static_cast<double>(n[1]) - 0.5;
  const double w = (static_cast<double>(z) + 0.5) / static_cast<double>(n[2]) - 0.5;
  return u * u / 0.25 + v * v / 0.22 + w * w / 0.26 < 1.0;  // about half the volume
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: respace_make_volume OUT NX NY NZ [--spacing S] [--datatype float32|int16|uint16|uint32|uint8] "
                 "[--pattern smooth|specimen|noise|zplanes|labels] [--labels N] [--label-scale S] [--level N]\n";
    return 2;
  }
  try {
    const std::string out = argv[1];
    const std::int64_t n[3] = {std::stoll(argv[2]), std::stoll(argv[3]), std::stoll(argv[4])};
    double spacing = 0.1;
    std::string dtype = "float32", pattern = "smooth";
    int level = 1;
    std::int64_t nlabels = 100;
    double label_scale = 1;
    for (int i = 5; i + 1 < argc; i += 2) {
      const std::string k = argv[i], v = argv[i + 1];
      if (k == "--spacing") spacing = std::stod(v);
      else if (k == "--datatype") dtype = v;
      else if (k == "--pattern") pattern = v;
      else if (k == "--level") level = std::stoi(v);
      else if (k == "--labels") nlabels = std::stoll(v);
      else if (k == "--label-scale") label_scale = std::stod(v);
      else throw Error(ExitCode::usage, "unknown option " + k);
    }
    const int dt = dtype == "int16"    ? DT_INT16
                   : dtype == "uint16" ? DT_UINT16
                   : dtype == "uint8"  ? DT_UINT8
                   : dtype == "uint32" ? DT_UINT32
                   : dtype == "float32" ? DT_FLOAT32
                                        : 0;
    if (dt == 0) throw Error(ExitCode::usage, "--datatype must be float32, int16, uint16, uint32 or uint8, not " + dtype);

    nifti_image* nim = nifti_make_new_nim(std::vector<int64_t>{3, n[0], n[1], n[2], 1, 1, 1, 1}.data(), dt, 0);
    if (!nim) throw Error(ExitCode::internal, "nifti_make_new_nim failed");
    OutputGrid g;
    g.datatype = dt;
    for (int k = 0; k < 3; ++k) {
      g.dims[k] = n[k];
      g.pixdim[k] = spacing;
      g.qoffset[k] = -spacing * static_cast<double>(n[k] - 1) / 2;
      g.sform[k][k] = spacing;
      g.sform[k][3] = g.qoffset[k];
    }
    nim->qform_code = nim->sform_code = 1;
    nim->quatern_b = nim->quatern_c = nim->quatern_d = 0;
    nim->qfac = 1;
    nim->xyz_units = NIFTI_UNITS_MM;
    std::strncpy(nim->descrip, "respace_make_volume synthetic volume", sizeof nim->descrip - 1);
    const OutputNames names = output_names(out);
    if (names.pair()) throw Error(ExitCode::usage, "make_volume writes .nii or .nii.gz only");
    const SerializedHeader h = serialize_header(*nim, g, 1, false);
    nifti_image_free(nim);

    AtomicFile file(out);
    SinkOptions so;
    so.gzip_level = names.gzip ? level : 0;
    so.engine = default_gzip_engine();
    auto sink = make_byte_sink(file.fd(), out, so);
    sink->write(h.bytes.data(), h.bytes.size());
    const Smooth smooth(n);
    std::vector<double> plane(static_cast<std::size_t>(n[0] * n[1]));
    std::vector<unsigned char> bytes(plane.size() * static_cast<std::size_t>(scalar_bytes(dt)));
    enum class Pattern { sinusoids, specimen, noise, zplanes, labels };
    const Pattern pat = pattern == "noise"      ? Pattern::noise
                        : pattern == "specimen" ? Pattern::specimen
                        : pattern == "zplanes"  ? Pattern::zplanes
                        : pattern == "labels"   ? Pattern::labels
                                                : Pattern::sinusoids;
    for (std::int64_t z = 0; z < n[2]; ++z) {
      if (pat == Pattern::zplanes) {
        std::fill(plane.begin(), plane.end(), static_cast<double>(z % 251));  // GBs that gzip to MBs
      } else {
        for (std::int64_t y = 0; y < n[1]; ++y)
          for (std::int64_t x = 0; x < n[0]; ++x) {
            const auto i = static_cast<std::size_t>(y * n[0] + x);
            const auto index = static_cast<std::uint64_t>((z * n[1] + y) * n[0] + x);
            if (pat == Pattern::labels) {
              // Cells of 8 voxels whose borders wave by up to 2 voxels.
              const auto cell = [](std::int64_t c, std::int64_t a, std::int64_t b) {
                return (c + static_cast<std::int64_t>(2.0 * std::sin(0.37 * static_cast<double>(a) +
                                                                     0.23 * static_cast<double>(b)))) >> 3;
              };
              const std::uint64_t hash = static_cast<std::uint64_t>(cell(x, y, z) * 73856093) ^
                                      static_cast<std::uint64_t>(cell(y, z, x) * 19349663) ^
                                      static_cast<std::uint64_t>(cell(z, x, y) * 83492791);
              plane[i] = static_cast<double>(1 + (hash % static_cast<std::uint64_t>(nlabels))) * label_scale;
            } else if (pat == Pattern::noise) {
              plane[i] = noise_value(index);
            } else if (pat == Pattern::specimen) {
              plane[i] = in_specimen(x, y, z, n) ? 800 + smooth(x, y, z) + gaussian_like(index) * 25 : 0.0;
              if (dt != DT_FLOAT32) plane[i] = std::round(plane[i]);
            } else {
              plane[i] = smooth(x, y, z);
            }
            if (pat != Pattern::labels && dt == DT_UINT8) plane[i] = std::fabs(plane[i]) / 8;
            if (pat != Pattern::labels && (dt == DT_UINT16 || dt == DT_UINT32)) plane[i] = std::fabs(plane[i]);
          }
      }
      visit_datatype(dt, [&](auto tag) {
        using T = typename decltype(tag)::type;
        encode<T, double>(plane.data(), bytes.data(), plane.size());
      });
      sink->write(bytes.data(), bytes.size());
    }
    sink->finish();
    file.commit(true);  // a generator replaces its own output
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "respace_make_volume: " << e.what() << "\n";
    return 1;
  }
}
