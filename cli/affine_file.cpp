// SPDX-License-Identifier: MIT
#include "cli/affine_file.hpp"

#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "engine/target.hpp"
#include "io/error.hpp"

namespace respace {
namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw Error(ExitCode::bad_input, path + ": " + what);
}

std::vector<double> numbers(const std::string& text, const std::string& path) {
  std::vector<double> v;
  std::istringstream in(text);
  std::string tok;
  while (in >> tok) {
    std::size_t used = 0;
    double x = 0;
    try {
      x = std::stod(tok, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != tok.size() || !std::isfinite(x)) bad(path, "'" + tok + "' is not a finite number");
    v.push_back(x);
  }
  return v;
}

Mat4 read_plain(const std::string& text, const std::string& path) {
  std::string cleaned;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find('#'));
    for (char& c : line)
      if (c == ',') c = ' ';
    cleaned += line + "\n";
  }
  const std::vector<double> v = numbers(cleaned, path);
  if (v.size() != 12 && v.size() != 16)
    bad(path, "a plain affine is 12 or 16 numbers (3 or 4 rows of 4); found " + std::to_string(v.size()));
  if (v.size() == 16 && !(v[12] == 0 && v[13] == 0 && v[14] == 0 && v[15] == 1))
    bad(path, "the last row of a 4x4 affine must be 0 0 0 1");
  Mat4 m = identity4();
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) m[r][c] = v[static_cast<std::size_t>(r * 4 + c)];
  return m;
}

Mat4 read_itk(const std::string& text, const std::string& path) {
  std::istringstream lines(text);
  std::string type;
  std::vector<double> params, fixed;
  int transforms = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon), value = line.substr(colon + 1);
    if (key == "Transform") {
      ++transforms;
      std::istringstream(value) >> type;
    } else if (key == "Parameters") {
      params = numbers(value, path);
    } else if (key == "FixedParameters") {
      fixed = numbers(value, path);
    }
  }
  if (transforms != 1) bad(path, "an ITK transform file with exactly one transform is read; found " + std::to_string(transforms));
  const bool affine = type == "AffineTransform_double_3_3" || type == "AffineTransform_float_3_3" ||
                      type == "MatrixOffsetTransformBase_double_3_3" || type == "MatrixOffsetTransformBase_float_3_3";
  if (!affine) bad(path, "ITK transform '" + type + "' is not read (only 3-D AffineTransform and MatrixOffsetTransformBase)");
  if (params.size() != 12) bad(path, "an ITK affine has 12 Parameters; found " + std::to_string(params.size()));
  if (fixed.empty()) fixed.assign(3, 0.0);
  if (fixed.size() != 3) bad(path, "an ITK affine has 3 FixedParameters (the centre); found " + std::to_string(fixed.size()));
  // LPS: x_in = A x_out + (t + c - A c).
  Mat4 lps = identity4();
  for (int r = 0; r < 3; ++r) {
    double offset = params[static_cast<std::size_t>(9 + r)] + fixed[static_cast<std::size_t>(r)];
    for (int c = 0; c < 3; ++c) {
      lps[r][c] = params[static_cast<std::size_t>(r * 3 + c)];
      offset -= lps[r][c] * fixed[static_cast<std::size_t>(c)];
    }
    lps[r][3] = offset;
  }
  // RAS = F LPS F with F = diag(-1, -1, 1, 1): flip the sign of entries
  // where exactly one of row and column is x or y.
  const double f[4] = {-1, -1, 1, 1};
  Mat4 ras = identity4();
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) ras[r][c] = f[r] * lps[r][c] * f[c];
  return ras;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, "cannot open the affine file");
  std::ostringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  if (text.size() > (1u << 20)) bad(path, "is too large to be an affine file");
  if (text.find('\0') != std::string::npos)
    bad(path, "is binary (an ANTs .mat?); give the matrix as text: 4 rows of 4 numbers, or an ITK text transform");
  return text;
}

bool is_itk(const std::string& text) { return text.rfind("#Insight Transform File", 0) == 0; }

double determinant3(const Mat4& a) {
  return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
         a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

}  // namespace

Mat4 read_affine_file(const std::string& path) {
  const std::string text = read_text(path);
  if (is_itk(text)) return read_itk(text, path);
  return read_plain(text, path);
}

Mat4 fsl_coordinates(const InputGeometry& g) {
  Mat4 s = identity4();
  for (int k = 0; k < 3; ++k) s[k][k] = std::fabs(g.pixdim[static_cast<std::size_t>(k)]);
  const bool neurological = g.has_sform ? determinant3(g.sform) > 0 : g.has_qform && determinant3(g.qform) > 0;
  if (neurological) {
    s[0][3] = static_cast<double>(g.n[0] - 1) * s[0][0];
    s[0][0] = -s[0][0];
  }
  return s;
}

Mat4 read_flirt_file(const std::string& path, const InputGeometry& in, const InputGeometry& ref) {
  const std::string text = read_text(path);
  if (is_itk(text)) bad(path, "is an ITK transform, not a FLIRT matrix: give it with --affine");
  const Mat4 flirt = read_plain(text, path);
  // Output (REF) index -> REF FSL mm -> input FSL mm -> input index -> world.
  const Mat4 to_input = multiply(invert(fsl_coordinates(in), "the input's FSL coordinates"),
                                 multiply(invert(flirt, path + ": the FLIRT matrix"), fsl_coordinates(ref)));
  return multiply(in.primary, multiply(to_input, invert(ref.primary, "REF's affine")));
}

}  // namespace respace
