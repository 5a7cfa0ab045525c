// SPDX-License-Identifier: MIT
// The general path: output index j samples the input at p = V j for any
// affine voxel map V (engine/target.hpp), in bounded memory, in two stages:
//
//   1 coefficient pass  streams the input once through the separable
//       pipeline (engine/pipeline.hpp) with coefficient tables
//       (engine/axis_table.hpp): the kernel's interpolation coefficients,
//       extended by the boundary rule to [-margin, n+margin) on each axis
//       (the samples for a kernel without prefilter, the prefiltered
//       B-spline coefficients otherwise), as planes of W values in z order,
//       handed to a store (engine/plane_sink.hpp);
//   2 sampling  computes the output in blocks of planes from the store
//       (engine/general_sampler.hpp) and writes them to the output.
//
// The store, chosen by the planner (engine/general_plan.hpp):
//   - the ring (engine/coefficient_ring.hpp), when the planes the blocks of
//     output read at any one time fit the memory limit (a rotation of a few
//     degrees: tens of planes). The stages run together: the ring hands
//     each block of output to stage 2 as soon as its planes are in. One
//     pass, no disk.
//   - otherwise the temporary file (engine/coefficient_file.hpp): stage 1
//     writes the whole coefficient volume, then stage 2 maps it and runs
//     every block.
//
// Thread safety: a general resampler runs one volume at a time.
#pragma once

#include <memory>

#include "engine/general_plan.hpp"
#include "engine/resampler.hpp"
#include "engine/separable_tables.hpp"

namespace respace {

// `coef`: the coefficient pass's tables, as planned.
std::unique_ptr<Resampler> make_general_resampler(const GeneralSetup& s, const GeneralMemory& plan,
                                                  std::shared_ptr<const SeparableTables> coef);

}  // namespace respace
