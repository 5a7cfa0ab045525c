// SPDX-License-Identifier: MIT
// What a resampling kernel is: the one place its facts live. A kernel is
// one header in engine/kernels/ (nearest.hpp, linear.hpp, bspline.hpp) and
// one line in the command line's kernel table (cli/kernel_table.cpp); the
// table builder (engine/axis_table.cpp), the planner (engine/planner.cpp)
// and the general path (engine/general_sampler.hpp) read these facts and
// nothing else about it.
//
// A kernel evaluated at input position p (in input voxel units, voxel
// centres at integers) reads the `support(zoom)` consecutive input samples
// first, first + 1, ... with the weights it returns. `zoom` is the axis's
// output voxels per input voxel (< 1 when shrinking), so an antialiasing
// filter can widen with the reduction; interpolators ignore it. Widths come
// from the kernel and the plan: there is no fixed tap limit anywhere.
//
// An interpolating B-spline also declares a Prefilter (engine/bspline.hpp):
// the samples are first turned into coefficients by a recursive filter,
// which the table builder folds into the weights as a halo of `halo`
// samples per side. Everything else (the boundary rule, dropping taps of
// weight zero, the field of view) is the table builder's, the same for
// every kernel.
//
// combine() says how taps become a value: a weighted sum, or a vote among
// the input values with the weights as votes (label maps: the planner
// takes the labels path for a voting kernel as for --labels,
// engine/label_vote.hpp).
//
// Thread safety: kernels are immutable; the built-in ones are statics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace respace {

// Values beyond the edge of the input: SPEC §3.
enum class Boundary { nearest, mirror, reflect, constant };
const char* to_string(Boundary b);
std::optional<Boundary> parse_boundary(const std::string& s);

// The interpolating B-spline's recursive prefilter (engine/bspline.hpp):
// pole z, gain K, and the halo H at which it is truncated.
struct Prefilter {
  double pole = 0, gain = 1;
  int halo = 0;
  double tolerance = 0;  // the tail the halo leaves out, at most (engine/bspline.hpp)
};

enum class Combine { weights, vote };

class Kernel {
public:
  virtual ~Kernel() = default;
  // The name --kernel takes and the report prints.
  virtual const char* name() const = 0;
  // One phrase for the report, e.g. "cubic B-spline (order 3)".
  virtual std::string describe() const = 0;
  virtual Combine combine() const { return Combine::weights; }
  // Whether every output value is one of the input values (nearest, and
  // votes): --antialias auto then leaves the kernel alone, since it was
  // chosen to keep values (labels, masks) as they are.
  virtual bool keeps_values() const { return false; }
  // The boundary rule when --boundary is not given.
  virtual Boundary default_boundary() const = 0;
  // Consecutive input samples one evaluation reads, at this zoom.
  virtual int support(double zoom) const = 0;
  // The prefilter, or none.
  virtual std::optional<Prefilter> prefilter() const { return std::nullopt; }
  // Weights at `count` positions p: sample i reads first[i], first[i] + 1,
  // ..., first[i] + support(zoom) - 1 with w[i * support(zoom) + t]. Batched
  // so the general path pays one call per row of output, not per voxel.
  virtual void weights(const double* p, std::size_t count, double zoom, std::int64_t* first, double* w) const = 0;

  // Derived facts, the same rule for every kernel.
  // Taps a table row can hold: the support and, prefiltered, both halos.
  int table_taps(double zoom) const;
  // How far beyond [0, n) the general path's coefficient volume reaches on
  // each side (engine/general_resampler.hpp): positions in the field of view
  // [-0.5, n - 0.5] find their taps in [-margin, n + margin).
  int margin() const;
  // One position's weights (w holds support(zoom)); returns first.
  std::int64_t weights_at(double p, double zoom, double* w) const;
};

}  // namespace respace
