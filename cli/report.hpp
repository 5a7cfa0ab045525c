// SPDX-License-Identifier: MIT
// The human-readable run report (SPEC §8), modelled on the reference script
// resample_nifti.py: input shape and spacing (mm and µm), target spacing,
// zoom and direction per axis, interpolation, output shape with the change
// per axis in %, the spacing read back from the output affine, the origin
// shift, and the memory plan.
#pragma once

#include <ostream>

#include "cli/job.hpp"

namespace respace {

void print_plan(std::ostream& os, const JobPlan& plan, const Options& o);

// The target spacing of axis k as both reports give it: the one requested,
// or on an axis with none requested (--size, --like, --affine, --crop) the
// spacing the grid samples at.
double target_spacing(const GridPlan& g, const Options& o, int k);
void print_result(std::ostream& os, const JobPlan& plan, const JobResult& r, bool compare);

}  // namespace respace
