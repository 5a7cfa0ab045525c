// SPDX-License-Identifier: MIT
// One resampling job: plan it (header, grid, memory; nothing read but the
// header) and run it (stream the data, write the output atomically).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/input_geometry.hpp"
#include "cli/options.hpp"
#include "cli/part.hpp"
#include "cli/qc.hpp"
#include "engine/planner.hpp"
#include "engine/target.hpp"
#include "io/nifti_header.hpp"
#include "io/gzip_codec.hpp"
#include "io/byte_sink.hpp"
#include "io/nifti_output.hpp"

namespace respace {


struct JobPlan {
  InputVolume input;
  OutputNames names;
  InputGeometry geometry;
  TargetPlan target;                  // the voxel map and the path it takes
  ResamplePlan resample;              // the engine's plan (engine/planner.hpp)
  std::shared_ptr<InputVolume> like;  // --like REF
  std::optional<CropBox> crop;
  int output_version = 1;            // NIfTI-1 or NIfTI-2
  int output_datatype = 0;           // the input's, or --datatype
  std::string warning;               // e.g. qform and sform disagree
  std::string labels_why;            // why the input is voted as a label map (empty: it is not)
  GzipEngine engine = GzipEngine::zlib;
  int level = 6;  // gzip's 1-9, for .gz outputs
  GzipEngine input_engine = GzipEngine::zlib;
  std::vector<std::string> stale;    // temporary files killed runs left beside the output
  bool replace = false;              // --force: an existing output may be replaced
  bool output_exists = false;        // it does (allowed with --force, or by --dry-run, which writes nothing)
  double xform_disagreement_mm = -1; // both present: how far apart they put a corner voxel (-1: not both)
  std::optional<XformSource> xform_source;  // --xform-source
  Settings settings;                 // every setting decided (cli/convention.hpp)
  std::optional<std::string> qc;     // --qc FILE.png
  std::optional<PartJob> part;       // --part K/N (cli/part.hpp)
};

struct JobResult {
  double seconds = 0;
  std::uint64_t bytes_read = 0, bytes_written = 0;
  std::uint64_t peak_rss = 0;
  RunStats stats;
  std::optional<QcPicture> qc;  // --qc: what was drawn
  std::optional<PartInfo> part;  // --part: the part file's trailer
  double cpu_seconds = 0;        // user + system time of the process
};

// Voxel data written to memory instead of the output file (the Python
// binding's arrays): exactly the output's data bytes, no header.
struct MemoryOutput {
  unsigned char* data = nullptr;
  std::uint64_t bytes = 0;
};

// Throws Error with the exit code of the fault. With `watch`, the input is
// read through watch->watch() (the progress bar, cli/progress.hpp). With
// `memory`, the voxel data go there and no file is written. run_job runs
// with the plan's thread count (oneTBB global_control).
JobPlan plan_job(const Options& o);
// The same with the input already opened (InputVolume::open_memory()).
JobPlan plan_job(const Options& o, InputVolume input);
JobResult run_job(const JobPlan& plan, SourceWatch* watch = nullptr, const MemoryOutput* memory = nullptr);

// The output's header (and extender) as run_job writes it.
SerializedHeader output_header(const JobPlan& plan);

// Bytes of the output's voxel data.
std::uint64_t output_data_bytes(const JobPlan& plan);

// The voxel map from output indices to the input's stored indices (the
// crop's offset included): where output voxel j came from.
Mat4 stored_voxel_map(const JobPlan& p);


// Peak resident set size of this process so far, in bytes.
std::uint64_t peak_rss_bytes();
// User and system CPU time of this process so far, in seconds.
double cpu_seconds();

// The voxel data of every volume through the resampler into `sink` (a file
// after its header, a part's ranged sink, or the caller's memory), the input
// watched by `watch` and both sides by the --qc slices. `finished` runs once
// the sink is finished (the output's commit), before the picture is drawn.
// A windowed part (JobPlan::part) reads its input planes alone.
JobResult stream_data(const JobPlan& p, SourceWatch* watch, std::unique_ptr<ByteSink> sink,
                      const std::function<void()>& finished, std::chrono::steady_clock::time_point t0);

}  // namespace respace
