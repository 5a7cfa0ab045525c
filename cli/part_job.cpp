// SPDX-License-Identifier: MIT
#include "cli/part_job.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <vector>

#include "cli/json_report.hpp"
#include "io/atomic_file.hpp"
#include "io/error.hpp"
#include "io/byte_source.hpp"
#include "io/gzip_codec.hpp"
#include "io/gzip_index.hpp"

namespace respace {
namespace {

// What identifies the input's content without reading it all: its size,
// its first 64 KiB (the header and the first compressed data) and its last
// 8 bytes (a gzip stream's CRC-32 and length).
std::string input_identity(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ExitCode::bad_input, path + ": cannot open: " + std::strerror(errno));
  struct FdGuard {
    int fd;
    ~FdGuard() { ::close(fd); }
  } guard{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) throw Error(ExitCode::bad_input, path + ": cannot stat: " + std::strerror(errno));
  std::string id = std::to_string(st.st_size) + ":";
  std::vector<char> head(std::size_t{64} << 10);
  const ssize_t n = ::pread(fd, head.data(), head.size(), 0);
  if (n > 0) id.append(head.data(), static_cast<std::size_t>(n));
  char tail[8] = {};
  if (st.st_size >= 8 && ::pread(fd, tail, sizeof tail, st.st_size - 8) == 8) id.append(tail, sizeof tail);
  return id;
}

// The job's fingerprint: its report's plan without the paths, the memory
// shape and the thread count (none of which changes a byte; --like REF's
// grid is in the plan's dims and affine), the output's header, the input's
// identity and the part count.
std::string fingerprint(const JobPlan& p, const Options& o, const SerializedHeader& header) {
  nlohmann::json j = plan_json(p, o);
  for (const char* volatile_key : {"memory", "general_input", "general_input_reason", "temp_file", "like"})
    j["plan"].erase(volatile_key);  // memory and paths: they never change a byte
  j["input"].erase("path");
  j["output"].erase("path");
  j["output"].erase("exists");
  std::string all = j.dump();
  all += std::string(header.bytes.begin(), header.bytes.end());
  all += input_identity(o.input);
  all += "|parts " + std::to_string(o.part->n) + (p.names.gzip ? " gz" : " raw");
  return fnv1a_hex(all);
}

std::uint32_t file_crc(int fd, std::uint64_t bytes, const std::string& path) {
  std::vector<unsigned char> buf(std::size_t{1} << 20);
  std::uint32_t crc = 0;
  for (std::uint64_t at = 0; at < bytes;) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), bytes - at));
    const ssize_t got = ::pread(fd, buf.data(), want, static_cast<off_t>(at));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw Error(ExitCode::bad_output, path + ": cannot read the part back: " + std::strerror(errno));
    crc = crc32_update(crc, buf.data(), static_cast<std::size_t>(got));
    at += static_cast<std::uint64_t>(got);
  }
  return crc;
}

}  // namespace

void plan_part(JobPlan& p, const Options& o, ResampleRequest& req) {
  if (p.input.in_memory()) throw Error(ExitCode::usage, "--part: the input must be a file");
  PartJob part;
  part.spec = *o.part;
  part.gzip = p.names.gzip;
  const SerializedHeader header = output_header(p);
  part.header_bytes = header.bytes.size() + p.input.extension_bytes();
  const std::int64_t planes = p.resample.setup.grid.axis[2].m * p.input.volumes();
  part.plane_bytes = planes > 0 ? output_data_bytes(p) / static_cast<std::uint64_t>(planes) : 0;
  part.layout = part_layout(part.header_bytes + output_data_bytes(p), part.spec);
  part.fingerprint = fingerprint(p, o, header);
  // The separable path of a 3-D volume computes the part's planes alone;
  // the other paths (and 4-D volumes) every plane, keeping the part's range.
  part.windowed = p.resample.path == ResamplePath::separable && p.input.volumes() == 1 && part.plane_bytes > 0;
  const auto row_of = [&](PartSpec spec) {
    PartRow r;
    r.k = spec.k;
    r.layout = part_layout(part.layout.stream_bytes, spec);
    if (!part.windowed) {
      r.planes = {0, planes, 0, true};
      r.input_planes = p.input.nz() * p.input.volumes();
      return r;
    }
    r.planes = part_planes(r.layout, part.header_bytes, part.plane_bytes, planes, part.gzip);
    const AxisTable<double>& z = p.resample.tables->z;  // the whole job's
    std::int64_t lo = INT64_MAX, hi = -1;
    for (std::int64_t k = r.planes.k0; k < r.planes.k1; ++k)
      if (z.ntap[static_cast<std::size_t>(k)] > 0) lo = std::min(lo, z.lo(k)), hi = std::max(hi, z.hi(k));
    if (hi >= 0) r.input_first = lo, r.input_planes = hi - lo + 1;
    return r;
  };
  if (o.dry_run)
    for (int k = 1; k <= part.spec.n; ++k) part.all.push_back(row_of({k, part.spec.n}));
  if (part.windowed) {
    part.planes = part_planes(part.layout, part.header_bytes, part.plane_bytes, planes, part.gzip);
    req.z_window = std::array<std::int64_t, 2>{part.planes.k0, part.planes.k1};
    p.resample = plan_resample(req);
    if (!p.resample.input_window) throw Error(ExitCode::internal, "--part: the window was not planned");
    part.input_first = p.resample.input_window->first;
    part.input_planes = p.resample.input_window->planes;
    if (file_is_gzip(p.input.data_path())) {
      // The input's access point before the part's planes: from --index
      // PATH, or from the index beside the input when there is one.
      part.index_path = o.index ? *o.index : default_index_path(p.input.data_path());
      const std::uint64_t first = p.input.data_offset() + static_cast<std::uint64_t>(part.input_first) * p.input.plane_bytes();
      std::optional<GzipIndex> index = read_gzip_index(part.index_path, p.input.data_path(), first);
      if (!index && o.index) throw Error(ExitCode::bad_input, *o.index + ": no such index (respace index INPUT makes one)");
      if (index) part.index = std::make_shared<const GzipIndex>(std::move(*index));
    }
  } else {
    part.planes = {0, planes, 0, true};
    part.input_first = 0;
    part.input_planes = p.input.nz() * p.input.volumes();
  }
  p.part = part;
}

namespace {

std::string plane_range(std::int64_t first, std::int64_t count) {
  return count > 0 ? std::to_string(first) + ".." + std::to_string(first + count - 1) : std::string("none");
}

std::string mib(std::uint64_t bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return b;
}

}  // namespace

void print_part(std::ostream& os, const JobPlan& p, bool all) {
  const PartJob& pj = *p.part;
  const std::int64_t chunks = (static_cast<std::int64_t>(pj.layout.stream_bytes) + static_cast<std::int64_t>(kChunkBytes) - 1) /
                              static_cast<std::int64_t>(kChunkBytes);
  const std::int64_t nz = p.input.nz() * p.input.volumes();
  os << "Part:    " << pj.spec.k << " of " << pj.spec.n << " (" << (pj.gzip ? ".nii.gz" : ".nii") << " stream of "
     << pj.layout.stream_bytes << " bytes, " << chunks << " chunks of " << (kChunkBytes >> 10) << " KiB; fingerprint "
     << pj.fingerprint << ")\n";
  os << "  this part      chunks " << plane_range(pj.layout.c0, pj.layout.c1 - pj.layout.c0) << ", bytes "
     << pj.layout.begin << ".." << pj.layout.end << " (" << mib(pj.layout.end - pj.layout.begin) << ")\n";
  os << "  computes       output planes " << plane_range(pj.planes.k0, pj.planes.k1 - pj.planes.k0)
     << (pj.windowed ? "" : " (every plane: only the separable path of a 3-D volume computes a part's planes alone)")
     << "\n";
  os << "  reads          input planes " << plane_range(pj.input_first, pj.input_planes) << " of " << nz;
  if (pj.index)
    os << " (from the access point before them: " << pj.index_path << ", " << pj.index->point_count << " points)";
  else if (pj.input_first > 0 && file_is_gzip(p.input.data_path()))
    os << " (inflating the input from its start: respace index " << p.input.path() << " makes access points)";
  os << "\n";
  if (!all) return;
  os << "  every part     part  chunks           output planes  input planes   stream MiB\n";
  for (const PartRow& r : pj.all) {
    char line[160];
    std::snprintf(line, sizeof line, "                 %4d  %-15s  %-13s  %-13s  %10.1f%s\n", r.k,
                  plane_range(r.layout.c0, r.layout.c1 - r.layout.c0).c_str(),
                  plane_range(r.planes.k0, r.planes.k1 - r.planes.k0).c_str(),
                  plane_range(r.input_first, r.input_planes).c_str(),
                  static_cast<double>(r.layout.end - r.layout.begin) / (1 << 20), r.k == pj.spec.k ? "  <- this" : "");
    os << line;
  }
}

void print_part_result(std::ostream& os, const JobPlan& p, const JobResult& r) {
  if (!r.part) return;
  os << "Part:    " << p.names.image << ": part " << r.part->spec.k << " of " << r.part->spec.n << ", "
     << r.part->payload_bytes << " bytes of payload; CPU " << r.cpu_seconds << " s; join with: respace join OUTPUT"
     << (r.part->gzip ? ".nii.gz" : ".nii") << " PART...\n";
}

nlohmann::json part_json(const JobPlan& p) {
  const PartJob& pj = *p.part;
  nlohmann::json j = {{"part", pj.spec.k},
                      {"parts", pj.spec.n},
                      {"gzip", pj.gzip},
                      {"fingerprint", pj.fingerprint},
                      {"stream_bytes", pj.layout.stream_bytes},
                      {"chunks", {pj.layout.c0, pj.layout.c1}},
                      {"bytes", {pj.layout.begin, pj.layout.end}},
                      {"output_planes", {pj.planes.k0, pj.planes.k1}},
                      {"input_planes", {pj.input_first, pj.input_first + pj.input_planes}},
                      {"windowed", pj.windowed},
                      {"index", pj.index ? nlohmann::json(pj.index_path) : nlohmann::json(nullptr)}};
  if (!pj.all.empty()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const PartRow& r : pj.all)
      rows.push_back({{"part", r.k},
                      {"chunks", {r.layout.c0, r.layout.c1}},
                      {"bytes", {r.layout.begin, r.layout.end}},
                      {"output_planes", {r.planes.k0, r.planes.k1}},
                      {"input_planes", {r.input_first, r.input_first + r.input_planes}}});
    j["every_part"] = rows;
  }
  return j;
}

nlohmann::json part_result_json(const JobPlan& /*p*/, const JobResult& r) {
  if (!r.part) return {};
  return {{"payload_bytes", r.part->payload_bytes}, {"crc32", r.part->crc}, {"cpu_seconds", r.cpu_seconds}};
}

JobResult run_part(const JobPlan& p, SourceWatch* watch, std::chrono::steady_clock::time_point t0) {
  const PartJob& part = *p.part;
  SinkOptions so;
  so.gzip_level = part.gzip ? p.level : 0;
  so.engine = p.engine;
  so.chunk_capacity = p.resample.output_chunks;
  so.range = StreamRange{part.planes.fed, part.layout.begin, part.layout.end};
  AtomicFile file(p.names.image);
  std::unique_ptr<ByteSink> sink = make_byte_sink(file.fd(), p.names.image, so);
  ByteSink* const ranged = sink.get();  // alive until stream_data returns
  if (part.planes.header_first) {
    const SerializedHeader header = output_header(p);
    sink->write(header.bytes.data(), header.bytes.size());
    p.input.copy_extensions(*sink);
  }
  PartInfo info;
  JobResult r = stream_data(p, watch, std::move(sink), [&] {
    info.fingerprint = part.fingerprint;
    info.spec = part.spec;
    info.gzip = part.gzip;
    info.layout = part.layout;
    const StreamPiece piece = ranged->piece();
    if (piece.length != part.layout.end - part.layout.begin)
      throw Error(ExitCode::internal, "--part: kept " + std::to_string(piece.length) + " bytes of a range of " +
                                          std::to_string(part.layout.end - part.layout.begin));
    info.crc = piece.crc;
    info.payload_bytes = ranged->file_bytes_written();
    info.payload_crc = file_crc(file.fd(), info.payload_bytes, p.names.image);
    info.input_planes = part.input_planes > 0 ? std::to_string(part.input_first) + "-" +
                                                    std::to_string(part.input_first + part.input_planes - 1)
                                              : "none";
    write_part_trailer(file.fd(), p.names.image, info);
    file.commit(p.replace);
  }, t0);
  r.part = info;
  return r;
}

}  // namespace respace
