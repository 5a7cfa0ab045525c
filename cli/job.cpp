// SPDX-License-Identifier: MIT
#include "cli/job.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <thread>

#include <oneapi/tbb/global_control.h>

#include "cli/affine_file.hpp"
#include "cli/part_job.hpp"
#include "cli/progress.hpp"
#include "engine/kernels/bspline.hpp"
#include "engine/memory_limit.hpp"
#include "io/atomic_file.hpp"
#include "io/error.hpp"

namespace respace {
namespace {


bool same_file(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// The output's folder, checked before anything is planned: one line when
// it is missing, not a folder, or not writable.
void check_output_folder(const OutputNames& names) {
  const std::string folder = folder_of(names.image);
  struct stat st;
  if (::stat(folder.c_str(), &st) != 0)
    throw Error(ExitCode::bad_output, names.image + ": the output folder " + folder + " does not exist");
  if (!S_ISDIR(st.st_mode)) throw Error(ExitCode::bad_output, names.image + ": " + folder + " is not a folder");
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    throw Error(ExitCode::bad_output, names.image + ": the output folder " + folder + " is not writable");
}

// Returns whether an output file exists (which only --force, or --dry-run,
// which writes nothing, lets through).
bool check_output_target(const InputVolume& in, const OutputNames& names, const Options& o) {
  bool exists = false;
  for (const std::string& out : {names.header, names.image}) {
    if (same_file(out, in.path()) || same_file(out, in.data_path()))
      throw Error(ExitCode::bad_output, out + ": the output would overwrite the input; choose another name");
    if (name_taken(out)) {
      if (!o.force && !o.dry_run) throw Error(ExitCode::bad_output, out + ": exists; use --force to replace it");
      exists = true;
    }
  }
  check_output_folder(names);
  return exists;
}

// The output's bytes must be countable: the product of its dims, channels,
// bytes per voxel and volumes below 2^63 (overflow-checked), before any
// plan is made. Names what set the grid.
void check_output_size(const JobPlan& p, const ResampleSetup& setup, const Options& o) {
  std::uint64_t bytes = static_cast<std::uint64_t>(scalar_bytes(setup.out_datatype)) *
                        static_cast<std::uint64_t>(setup.channels);
  for (std::uint64_t f : {static_cast<std::uint64_t>(setup.grid.axis[0].m),
                          static_cast<std::uint64_t>(setup.grid.axis[1].m),
                          static_cast<std::uint64_t>(setup.grid.axis[2].m),
                          static_cast<std::uint64_t>(p.input.volumes())})
    bytes = sat_mul(bytes, f);
  if (bytes <= static_cast<std::uint64_t>(INT64_MAX)) return;
  const bool spacing = !o.like && !o.grid.size;
  const std::string by = o.like ? "--like " + *o.like : spacing ? "the target spacing (--spacing)" : "--size";
  std::string dims;
  for (int k = 0; k < 3; ++k) dims += (k ? " x " : "") + std::to_string(setup.grid.axis[k].m);
  throw Error(ExitCode::usage, by + " asks for an output of " + dims + " voxels, more than 2^63 bytes" +
                                   (spacing ? "; spacings are in mm" : ""));
}

std::array<std::int64_t, 3> stored_dims(const InputVolume& in) { return {in.nx(), in.ny(), in.nz()}; }
std::array<std::int64_t, 3> output_dims(const GridPlan& g) { return {g.axis[0].m, g.axis[1].m, g.axis[2].m}; }

// --qc: the slices' collector for this job, or none.
std::unique_ptr<QcCollector> qc_collector(const JobPlan& p) {
  if (!p.qc) return nullptr;
  const ResampleSetup& s = p.resample.setup;
  return std::make_unique<QcCollector>(stored_dims(p.input), s.in_datatype, s.in_swap, s.channels,
                                       output_dims(s.grid), s.out_datatype, s.channels);
}

// --qc: the picture, after the output is in place.
QcPicture write_qc(const QcCollector& qc, const JobPlan& p) {
  const GridPlan& g = p.resample.setup.grid;
  std::array<double, 3> in{}, out{};
  for (int k = 0; k < 3; ++k) {
    in[static_cast<std::size_t>(k)] = column_norm(p.geometry.primary, k);
    out[static_cast<std::size_t>(k)] = g.header_requested ? g.axis[k].spacing_out : column_norm(g.primary_out, k);
  }
  return qc.write(*p.qc, in, out, p.resample.setup.labels, p.replace);
}

// A sink over the caller's memory: exactly `bytes` bytes.
class MemorySink final : public ByteSink {
public:
  MemorySink(unsigned char* data, std::uint64_t bytes) : data_(data), bytes_(bytes) {}
  void write(const void* src, std::size_t n) override {
    if (n > bytes_ - at_) throw Error(ExitCode::internal, "more output than the array holds");
    std::memcpy(data_ + at_, src, n);
    at_ += n;
  }
  void finish() override {
    if (at_ != bytes_) throw Error(ExitCode::internal, "less output than the array holds");
  }
  std::uint64_t file_bytes_written() const override { return at_; }

private:
  unsigned char* data_;
  std::uint64_t bytes_, at_ = 0;
};

}  // namespace

JobResult stream_data(const JobPlan& p, SourceWatch* watch, std::unique_ptr<ByteSink> sink,
                      const std::function<void()>& finished, std::chrono::steady_clock::time_point t0) {
  // A windowed part reads its input planes alone, and not on to the end of
  // the stream (the input's CRC is checked by the run that reads it all).
  const bool windowed = p.part && p.part->windowed;
  std::unique_ptr<ByteSource> in =
      windowed ? p.input.open_data(p.input_engine, static_cast<std::uint64_t>(p.part->input_first) * p.input.plane_bytes(),
                                   static_cast<std::uint64_t>(p.part->input_planes) * p.input.plane_bytes(),
                                   p.part->index.get())
               : p.input.open_data(p.input_engine);
  if (watch) in = watch->watch(std::move(in));
  std::unique_ptr<QcCollector> qc = qc_collector(p);
  if (qc) {
    in = qc->input_watch().watch(std::move(in));
    sink = qc->output_watch().watch(std::move(sink));
  }
  std::unique_ptr<Resampler> resampler = make_resampler(p.resample);
  const bool engine_runs = !p.part || p.part->planes.k1 > p.part->planes.k0 || !p.part->windowed;
  if (engine_runs)
    for (std::int64_t v = 0; v < p.input.volumes(); ++v) resampler->run_volume(*in, *sink);
  if (!windowed) in->finish();
  sink->finish();
  finished();
  JobResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu_seconds = cpu_seconds();
  r.bytes_read = in->file_bytes_read();
  r.bytes_written = sink->file_bytes_written();
  r.peak_rss = peak_rss_bytes();
  r.stats = resampler->stats();
  if (qc) r.qc = write_qc(*qc, p);
  return r;
}

Mat4 stored_voxel_map(const JobPlan& p) {
  Mat4 v = p.target.voxel_map;
  if (p.crop)
    for (int r = 0; r < 3; ++r) v[r][3] += static_cast<double>(p.crop->first[r]);
  return v;
}

double cpu_seconds() {
  struct rusage ru;
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  const auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

std::uint64_t peak_rss_bytes() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
}

JobPlan plan_job(const Options& o) { return plan_job(o, InputVolume::open(o.input)); }

JobPlan plan_job(const Options& o, InputVolume input) {
  // A part file may have any name; its stream is the .nii.gz one unless
  // --part-format nii.
  JobPlan p{std::move(input), o.part ? OutputNames{o.output, o.output, !o.part_raw} : output_names(o.output),
            {}, {}, {}, {}, {}, 1, 0, {}, {},
            GzipEngine::zlib, 6, GzipEngine::zlib, {}, false, false, -1, std::nullopt, {}, std::nullopt, std::nullopt};
  p.output_exists = check_output_target(p.input, p.names, o);
  p.replace = o.force;
  p.stale = stale_temporaries(folder_of(p.names.image));
  const nifti_image& h = p.input.header();
  InputTransforms transforms = input_transforms(h, o.input, o.xform_source);
  p.geometry = transforms.geometry;
  p.xform_disagreement_mm = transforms.disagreement_mm;
  p.warning = transforms.warning;
  p.xform_source = o.xform_source;
  p.settings = resolve_settings(o.settings, o.grid.policy, o.kernel->default_boundary());
  if (p.settings.header_spacing == HeaderSpacing::requested && (o.like || o.affine || o.flirt))
    throw Error(ExitCode::usage, "--header-spacing requested writes a spacing the data were not sampled at; it is "
                                 "for spacing requests, not with --like, --affine or --flirt");

  TargetRequest target;
  target.grid = o.grid;
  if (!o.like) target.grid.policy = p.settings.grid;
  target.grid.rounding = p.settings.size_rounding;
  target.grid.header = p.settings.header_spacing;
  if (o.like) {
    p.like = std::make_shared<InputVolume>(InputVolume::open(*o.like));
    target.like = geometry_of(p.like->header());
  }
  if (o.affine) target.world = read_affine_file(*o.affine);
  if (o.flirt) target.world = read_flirt_file(*o.flirt, p.geometry, *target.like);
  if (o.crop) {
    const auto& c = *o.crop;
    target.crop = CropBox{{c[0], c[1], c[2]}, {c[3], c[4], c[5]}};
  }
  if (o.crop_mm) {
    const auto& c = *o.crop_mm;
    target.crop = crop_from_world(p.geometry, {c[0], c[1], c[2]}, {c[3], c[4], c[5]});
  }
  p.crop = target.crop;
  p.target = plan_target(p.geometry, target);
  ResampleRequest req;
  ResampleSetup& setup = req.setup;
  setup.grid = p.target.grid;
  for (AxisMap& ax : setup.grid.axis) ax.fov = p.settings.fov;
  // Truncated integers: a B-spline's prefilter tail at 1e-13, not 1e-7.
  setup.kernel = p.settings.int_rounding == IntRounding::toward_zero ? &tight_prefilter(*o.kernel) : o.kernel;
  setup.boundary = p.settings.boundary;
  setup.int_rounding = p.settings.int_rounding;
  setup.fill = o.fill;
  setup.compare = o.compare;
  // A label map: said so, or the header's intent says so.
  const int intent = p.input.header().intent_code;
  const bool label_intent = intent == NIFTI_INTENT_LABEL || intent == NIFTI_INTENT_NEURONAME;
  setup.labels = o.labels.value_or(label_intent);
  if (setup.labels)
    p.labels_why = o.labels ? "--labels" : std::string("the header's intent is ") +
                                               (intent == NIFTI_INTENT_LABEL ? "label" : "neuroname") +
                                               " (--no-labels resamples values)";
  setup.in_datatype = component_of(p.input.datatype());
  setup.channels = channels_of(p.input.datatype());
  setup.in_swap = p.input.needs_swap();
  setup.out_datatype = setup.in_datatype;
  p.output_datatype = p.input.datatype();  // RGB24/RGBA32 stay so; channels go through as uint8
  if (o.datatype) {
    if (setup.labels) throw Error(ExitCode::usage, "--labels keeps the input's type: no --datatype with it");
    if (setup.channels > 1)
      throw Error(ExitCode::usage, "--datatype " + datatype_name(*o.datatype) + ": " +
                                       datatype_name(p.input.datatype()) +
                                       " input is resampled per channel and written as it came");
    setup.out_datatype = p.output_datatype = *o.datatype;
  }

  check_output_size(p, setup, o);

  const bool float_output = setup.out_datatype == DT_FLOAT32 || setup.out_datatype == DT_FLOAT64;
  const GzipChoice gz = choose_gzip(o.gzip_engine, o.compression_level, float_output);
  p.engine = gz.engine;
  p.level = gz.level;
  p.input_engine = gz.input;
  if (p.engine == GzipEngine::isal && !have_isal())
    throw Error(ExitCode::usage, "--gzip-engine isal: this respace was built without ISA-L (install libisal-dev "
                                 "and rebuild)");
  if (p.engine == GzipEngine::libdeflate && !have_libdeflate())
    throw Error(ExitCode::usage, "--gzip-engine libdeflate: this respace was built without libdeflate (install "
                                 "libdeflate-dev and rebuild)");
  req.separable = p.target.separable;
  req.voxel_map = p.target.voxel_map;
  req.antialias = p.settings.antialias;
  req.threads = o.threads;
  req.memory_limit = o.memory_limit.value_or(0);
  req.gzip_output = p.names.gzip;
  req.deflater_bytes = deflater_bytes(p.engine, p.level);
  req.block = o.block;
  req.temp_dir = folder_of(p.names.image);
  if (o.qc && o.part) throw Error(ExitCode::usage, "--qc draws the whole volume; not with --part");
  if (o.qc) {
    if (name_taken(*o.qc) && !o.force && !o.dry_run)
      throw Error(ExitCode::bad_output, *o.qc + ": exists; use --force to replace it");
    check_output_folder(OutputNames{*o.qc, *o.qc, false});
    p.qc = o.qc;
    req.held.push_back({"qc slices", 6, QcCollector::bytes_for(stored_dims(p.input), setup.in_datatype, setup.channels,
                                                               output_dims(setup.grid), setup.out_datatype,
                                                               setup.channels)});
  }
  p.resample = plan_resample(req);
  const GridPlan& g = p.resample.setup.grid;
  SerializedHeader probe = serialize_header(h, OutputGrid{{g.axis[0].m, g.axis[1].m, g.axis[2].m}, {}, {}, {}, false,
                                                          p.output_datatype, nullptr, nullptr, std::nullopt,
                                                          std::nullopt},
                                            p.input.nifti_version(), p.names.pair());
  p.output_version = probe.version;
  if (o.part) plan_part(p, o, req);
  return p;
}

SerializedHeader output_header(const JobPlan& p) {
  const GridPlan& g = p.resample.setup.grid;
  OutputGrid og;
  og.datatype = p.output_datatype;
  og.text = &p.input.raw_text();
  for (int k = 0; k < 3; ++k) {
    og.dims[k] = g.axis[k].m;
    og.pixdim[k] = g.pixdim_out[k];
    og.qoffset[k] = p.geometry.has_qform ? g.qform_out[k][3] : g.primary_out[k][3];
  }
  if (p.xform_source && p.geometry.has_qform && !p.like) {  // the quaternion of the chosen transform
    nifti_dmat44 q;
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) q.m[r][c] = g.qform_out[r][c];
    double qx, qy, qz, dx, dy, dz;
    Quaternion quat;
    nifti_dmat44_to_quatern(q, &quat.b, &quat.c, &quat.d, &qx, &qy, &qz, &dx, &dy, &dz, &quat.qfac);
    og.quaternion = quat;
  }
  // The requested spacing, written as resample_nifti.py's nib.save does:
  // when the affine changed, the sform "aligned" and the qform "unknown".
  if (g.header_requested && g.primary_out != p.geometry.primary) og.qform_sform_codes = std::array<int, 2>{0, 2};
  const Mat4& s = p.geometry.has_sform ? g.sform_out : g.primary_out;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) og.sform[r][c] = s[r][c];
  const nifti_image& h = p.input.header();
  og.reset_slice_timing = h.slice_dim >= 1 && h.slice_dim <= 3 &&
                         (!p.target.separable || !g.axis[h.slice_dim - 1].identity());
  if (p.like) og.geometry = &p.like->raw_geometry();
  return serialize_header(h, og, p.input.nifti_version(), p.names.pair(),
                          {p.input.extension_count(), p.input.extension_bytes()});
}

std::uint64_t output_data_bytes(const JobPlan& p) {
  const GridPlan& g = p.resample.setup.grid;
  std::uint64_t b = static_cast<std::uint64_t>(scalar_bytes(p.resample.setup.out_datatype)) *
                    static_cast<std::uint64_t>(p.resample.setup.channels) * static_cast<std::uint64_t>(p.input.volumes());
  for (const AxisMap& a : g.axis) b *= static_cast<std::uint64_t>(a.m);
  return b;
}

JobResult run_job(const JobPlan& p, SourceWatch* watch, const MemoryOutput* memory) {
  oneapi::tbb::global_control threads(oneapi::tbb::global_control::max_allowed_parallelism,
                                      static_cast<std::size_t>(p.resample.threads));
  const auto t0 = std::chrono::steady_clock::now();
  if (p.part && !memory) return run_part(p, watch, t0);
  if (memory) {
    if (memory->bytes != output_data_bytes(p)) throw Error(ExitCode::internal, "the output array has the wrong size");
    return stream_data(p, watch, std::make_unique<MemorySink>(memory->data, memory->bytes), [] {}, t0);
  }
  const SerializedHeader header = output_header(p);
  SinkOptions sink_options;
  sink_options.gzip_level = p.names.gzip ? p.level : 0;
  sink_options.engine = p.engine;
  sink_options.chunk_capacity = p.resample.output_chunks;
  AtomicFile image_file(p.names.image);
  std::unique_ptr<AtomicFile> header_file;
  std::unique_ptr<ByteSink> header_sink;
  std::unique_ptr<ByteSink> sink = make_byte_sink(image_file.fd(), p.names.image, sink_options);
  if (p.names.pair()) {
    header_file = std::make_unique<AtomicFile>(p.names.header);
    sink_options.chunk_capacity = 2;
    header_sink = make_byte_sink(header_file->fd(), p.names.header, sink_options);
    header_sink->write(header.bytes.data(), header.bytes.size());
    p.input.copy_extensions(*header_sink);
    header_sink->finish();
  } else {
    sink->write(header.bytes.data(), header.bytes.size());
    p.input.copy_extensions(*sink);
  }

  // The data's reader is opened after the extensions are copied, so the two
  // readers' buffers are never held at once.
  JobResult r = stream_data(p, watch, std::move(sink), [&] {
    if (header_file) {
      commit_pair(image_file, *header_file, p.replace);
    } else {
      image_file.commit(p.replace);
    }
  }, t0);
  if (header_sink) r.bytes_written += header_sink->file_bytes_written();
  return r;
}

}  // namespace respace
