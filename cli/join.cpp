// SPDX-License-Identifier: MIT
#include "cli/join.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/part.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_sink.hpp"
#include "io/error.hpp"
#include "io/gzip_codec.hpp"
#include "io/nifti_output.hpp"

namespace respace {
namespace {

const char* const kUsage =
    "usage: respace join OUTPUT PART... [--force] [--json]\n"
    "  Joins the part files of one job (respace INPUT PART_FILE --part K/N ...) into OUTPUT,\n"
    "  byte for byte the file the single run writes. Parts may be given in any order.\n"
    "  OUTPUT ends in .nii.gz for gzip parts (the default), .nii for --part-format nii.\n"
    "  --force   replace an existing OUTPUT\n"
    "  --json    print a summary as one JSON object\n";


// Copies the first `bytes` bytes of `from` to fd.
void copy_payload(const std::string& from, std::uint64_t bytes, int fd, const std::string& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw Error(ExitCode::bad_input, from + ": cannot open the part: " + std::strerror(errno));
  struct FdGuard {
    int fd;
    ~FdGuard() { ::close(fd); }
  } guard{in};
  // In the kernel where it can (no copy through user space), else by reads
  // and writes.
  while (bytes > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, std::uint64_t{1} << 30));
    const ssize_t put = ::copy_file_range(in, nullptr, fd, nullptr, want, 0);
    if (put > 0) {
      bytes -= static_cast<std::uint64_t>(put);
      continue;
    }
    if (put == 0) throw Error(ExitCode::bad_input, from + ": the part changed while it was joined");
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
      throw Error(ExitCode::bad_output, to + ": write failed: " + std::strerror(errno));
    break;
  }
  std::vector<unsigned char> buf(std::size_t{1} << 20);
  while (bytes > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), bytes));
    const ssize_t got = ::read(in, buf.data(), want);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw Error(ExitCode::bad_input, from + ": the part changed while it was joined");
    write_fully(fd, to, buf.data(), static_cast<std::size_t>(got));
    bytes -= static_cast<std::uint64_t>(got);
  }
}

struct JoinArgs {
  std::string output;
  std::vector<std::string> parts;
  bool force = false, json = false;
};

JoinArgs parse_join(int argc, const char* const* argv) {
  JoinArgs a;
  std::vector<std::string> positional;
  for (int i = 2; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--force") {
      a.force = true;
    } else if (s == "--json") {
      a.json = true;
    } else if (s == "--help" || s == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (s.rfind("--", 0) == 0) {
      throw Error(ExitCode::usage, "join: unrecognised option '" + s + "' (respace join --help)");
    } else {
      positional.push_back(s);
    }
  }
  if (positional.size() < 2) throw Error(ExitCode::usage, "join: give OUTPUT and at least one PART (respace join --help)");
  a.output = positional.front();
  a.parts.assign(positional.begin() + 1, positional.end());
  return a;
}

// The parts, checked to be one job's whole stream, in part order.
std::vector<PartInfo> check_parts(const JoinArgs& a, std::vector<std::string>& paths) {
  std::map<int, std::pair<PartInfo, std::string>> by_k;
  const PartInfo* first = nullptr;
  std::string first_path;
  std::vector<PartInfo> read;
  read.reserve(a.parts.size());
  for (const std::string& path : a.parts) {
    read.push_back(read_part(path));
    const PartInfo& p = read.back();
    if (!first) {
      first = &read.front();
      first_path = path;
    } else if (p.fingerprint != first->fingerprint || p.spec.n != first->spec.n || p.gzip != first->gzip ||
               p.layout.stream_bytes != first->layout.stream_bytes) {
      throw Error(ExitCode::bad_input, path + ": a part of another job than " + first_path +
                                           " (the input, options or part count differ: fingerprint " + p.fingerprint +
                                           " of " + std::to_string(p.spec.n) + " parts, not " + first->fingerprint +
                                           " of " + std::to_string(first->spec.n) + ")");
    }
    const auto [it, fresh] = by_k.emplace(p.spec.k, std::make_pair(p, path));
    if (!fresh)
      throw Error(ExitCode::bad_input, path + ": part " + std::to_string(p.spec.k) + " of " + std::to_string(p.spec.n) +
                                           " is given twice (also " + it->second.second + ")");
    const PartLayout want = part_layout(p.layout.stream_bytes, p.spec);
    if (want.c0 != p.layout.c0 || want.c1 != p.layout.c1 || want.begin != p.layout.begin || want.end != p.layout.end)
      throw Error(ExitCode::bad_input, path + ": a corrupted part trailer (its range is not part " +
                                           std::to_string(p.spec.k) + " of " + std::to_string(p.spec.n) + "'s)");
  }
  const int n = first->spec.n;
  std::vector<int> missing;
  for (int k = 1; k <= n; ++k)
    if (!by_k.count(k)) missing.push_back(k);
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size() && i < 10; ++i) list += (i ? ", " : "") + std::to_string(missing[i]);
    if (missing.size() > 10) list += ", ...";
    throw Error(ExitCode::bad_input, "join: " + std::to_string(missing.size()) + " of the " + std::to_string(n) +
                                         " parts are missing: part " + list + " (nothing written)");
  }
  std::vector<PartInfo> out;
  for (auto& [k, pp] : by_k) {
    out.push_back(pp.first);
    paths.push_back(pp.second);
  }
  return out;
}

}  // namespace

int run_join(int argc, const char* const* argv) {
  const JoinArgs a = parse_join(argc, argv);
  std::vector<std::string> paths;
  const std::vector<PartInfo> parts = check_parts(a, paths);
  const bool gzip = parts.front().gzip;
  if (gzip != ends_with(a.output, ".nii.gz") || (!gzip && !ends_with(a.output, ".nii")))
    throw Error(ExitCode::usage, a.output + ": the parts hold a " + (gzip ? ".nii.gz" : ".nii") +
                                     " stream; name the output so (--part-format on the parts decides)");
  for (const std::string& p : paths) {
    struct stat s1, s2;
    if (::stat(p.c_str(), &s1) == 0 && ::stat(a.output.c_str(), &s2) == 0 && s1.st_dev == s2.st_dev && s1.st_ino == s2.st_ino)
      throw Error(ExitCode::bad_output, a.output + ": is one of the parts");
  }
  if (!a.force && ::access(a.output.c_str(), F_OK) == 0)
    throw Error(ExitCode::bad_output, a.output + ": exists (use --force to replace it)");

  AtomicFile out(a.output);
  std::uint64_t written = 0, length = 0;
  std::uint32_t crc = 0;
  if (gzip) {
    // As io/byte_sink.cpp's gzip writer: no name, no time stamp, OS Unix.
    const unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    write_fully(out.fd(), a.output, h, sizeof h);
    written += sizeof h;
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    copy_payload(paths[i], parts[i].payload_bytes, out.fd(), a.output);
    written += parts[i].payload_bytes;
    crc = crc32_join(crc, parts[i].crc, parts[i].layout.end - parts[i].layout.begin);
    length += parts[i].layout.end - parts[i].layout.begin;
  }
  if (length != parts.front().layout.stream_bytes)
    throw Error(ExitCode::internal, "join: the parts cover " + std::to_string(length) + " of " +
                                        std::to_string(parts.front().layout.stream_bytes) + " bytes");
  if (gzip) {
    // The empty final block, CRC-32 and ISIZE, as the gzip writer's finish().
    unsigned char tail[10] = {0x03, 0x00};
    for (int i = 0; i < 4; ++i) {
      tail[2 + i] = static_cast<unsigned char>(crc >> (8 * i));
      tail[6 + i] = static_cast<unsigned char>(length >> (8 * i));
    }
    write_fully(out.fd(), a.output, tail, sizeof tail);
    written += sizeof tail;
  }
  out.commit(a.force);
  if (a.json) {
    nlohmann::json j;
    j["output"] = a.output;
    j["parts"] = parts.size();
    j["gzip"] = gzip;
    j["bytes_written"] = written;
    j["stream_bytes"] = length;
    j["fingerprint"] = parts.front().fingerprint;
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "Joined " << parts.size() << " part" << (parts.size() == 1 ? "" : "s") << " into " << a.output << " ("
              << written << " bytes)\n";
  }
  return 0;
}

}  // namespace respace
