// SPDX-License-Identifier: MIT
#include "cli/part.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "io/atomic_file.hpp"
#include "io/byte_sink.hpp"
#include "io/error.hpp"
#include "io/gzip_codec.hpp"

namespace respace {
namespace {

constexpr char kMagic[] = "RESPACE-PART-V1\n";  // 16 bytes
constexpr std::size_t kMagicBytes = 16;
constexpr std::size_t kFooterBytes = kMagicBytes + 8;
constexpr std::uint64_t kMaxTrailer = 1 << 20;


void read_at(int fd, const std::string& path, void* p, std::size_t n, std::uint64_t at) {
  auto* b = static_cast<unsigned char*>(p);
  while (n > 0) {
    const ssize_t got = ::pread(fd, b, n, static_cast<off_t>(at));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw Error(ExitCode::bad_input, path + ": not a whole part file (it ends early)");
    b += got;
    n -= static_cast<std::size_t>(got);
    at += static_cast<std::uint64_t>(got);
  }
}

Error bad_part(const std::string& path, const std::string& why) {
  return Error(ExitCode::bad_input, path + ": " + why);
}

}  // namespace

PartSpec parse_part(const std::string& s) {
  const std::size_t slash = s.find('/');
  const auto number = [&](const std::string& t) -> long {
    if (t.empty() || t.size() > 6 || !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return -1;
    return std::stol(t);
  };
  const long k = slash == std::string::npos ? -1 : number(s.substr(0, slash));
  const long n = slash == std::string::npos ? -1 : number(s.substr(slash + 1));
  if (k < 1 || n < 1 || k > n || n > 100000)
    throw Error(ExitCode::usage, "--part must be K/N with 1 <= K <= N <= 100000 (part K of N), not '" + s + "'");
  return {static_cast<int>(k), static_cast<int>(n)};
}

PartLayout part_layout(std::uint64_t stream_bytes, PartSpec spec) {
  PartLayout l;
  l.stream_bytes = stream_bytes;
  const std::uint64_t chunks = (stream_bytes + kChunkBytes - 1) / kChunkBytes;
  // chunks < 2^44 (a stream below 2^63 bytes) and k <= 100000 < 2^17: the
  // product fits 64 bits.
  const auto share = [&](int k) {
    return static_cast<std::int64_t>(chunks * static_cast<std::uint64_t>(k) / static_cast<std::uint64_t>(spec.n));
  };
  l.c0 = share(spec.k - 1);
  l.c1 = share(spec.k);
  l.begin = static_cast<std::uint64_t>(l.c0) * kChunkBytes;
  l.end = std::min<std::uint64_t>(static_cast<std::uint64_t>(l.c1) * kChunkBytes, stream_bytes);
  return l;
}

PartPlanes part_planes(const PartLayout& l, std::uint64_t header_bytes, std::uint64_t plane_bytes, std::int64_t planes,
                       bool gzip) {
  PartPlanes p;
  if (l.end <= l.begin) {  // an empty part (more parts than chunks): nothing to compute
    p.header_first = false;
    p.fed = l.begin;
    return p;
  }
  // The first byte needed: the range's, or the dictionary's before it.
  const std::uint64_t window = gzip ? kDeflateWindow : 0;
  const std::uint64_t first = l.begin > window ? l.begin - window : 0;
  const auto plane_of = [&](std::uint64_t byte) {  // the plane holding stream byte `byte` (>= header_bytes)
    return static_cast<std::int64_t>(std::min<std::uint64_t>((byte - header_bytes) / plane_bytes,
                                                             static_cast<std::uint64_t>(planes)));
  };
  p.header_first = first < header_bytes;
  p.k0 = p.header_first ? 0 : plane_of(first);
  p.fed = p.header_first ? 0 : header_bytes + static_cast<std::uint64_t>(p.k0) * plane_bytes;
  p.k1 = l.end <= header_bytes ? 0 : std::min<std::int64_t>(planes, plane_of(l.end - 1) + 1);
  p.k1 = std::max(p.k1, p.k0);
  return p;
}

std::string fnv1a_hex(const std::string& bytes) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

void write_part_trailer(int fd, const std::string& path, PartInfo& info) {
  nlohmann::json j;
  j["format"] = "respace part";
  j["version"] = 1;
  j["fingerprint"] = info.fingerprint;
  j["part"] = info.spec.k;
  j["parts"] = info.spec.n;
  j["gzip"] = info.gzip;
  j["stream_bytes"] = info.layout.stream_bytes;
  j["chunk_bytes"] = kChunkBytes;
  j["chunks"] = {info.layout.c0, info.layout.c1};
  j["bytes"] = {info.layout.begin, info.layout.end};
  j["crc32"] = info.crc;
  j["payload_bytes"] = info.payload_bytes;
  j["payload_crc32"] = info.payload_crc;
  j["input_planes"] = info.input_planes;
  info.json = j.dump();
  write_fully(fd, path, info.json.data(), info.json.size());
  unsigned char footer[kFooterBytes];
  std::memcpy(footer, kMagic, kMagicBytes);
  for (int i = 0; i < 8; ++i) footer[kMagicBytes + static_cast<std::size_t>(i)] =
      static_cast<unsigned char>(static_cast<std::uint64_t>(info.json.size()) >> (8 * i));
  write_fully(fd, path, footer, sizeof footer);
}

PartInfo read_part(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw bad_part(path, std::string("cannot open the part: ") + std::strerror(errno));
  struct FdGuard {
    int fd;
    ~FdGuard() { ::close(fd); }
  } guard{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) throw bad_part(path, "not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < kFooterBytes) throw bad_part(path, "not a respace part file (too short; truncated?)");
  unsigned char footer[kFooterBytes];
  read_at(fd, path, footer, sizeof footer, size - kFooterBytes);
  if (std::memcmp(footer, kMagic, kMagicBytes) != 0)
    throw bad_part(path, "not a respace part file (no part trailer at its end; truncated?)");
  std::uint64_t json_bytes = 0;
  for (int i = 0; i < 8; ++i) json_bytes |= static_cast<std::uint64_t>(footer[kMagicBytes + static_cast<std::size_t>(i)]) << (8 * i);
  if (json_bytes > kMaxTrailer || json_bytes > size - kFooterBytes) throw bad_part(path, "a corrupted part trailer");
  PartInfo info;
  info.json.resize(static_cast<std::size_t>(json_bytes));
  read_at(fd, path, info.json.data(), info.json.size(), size - kFooterBytes - json_bytes);
  try {
    const nlohmann::json j = nlohmann::json::parse(info.json);
    if (j.at("format") != "respace part" || j.at("version") != 1) throw bad_part(path, "a part of another format");
    info.fingerprint = j.at("fingerprint").get<std::string>();
    info.spec = {j.at("part").get<int>(), j.at("parts").get<int>()};
    info.gzip = j.at("gzip").get<bool>();
    info.layout.stream_bytes = j.at("stream_bytes").get<std::uint64_t>();
    info.layout.c0 = j.at("chunks").at(0).get<std::int64_t>();
    info.layout.c1 = j.at("chunks").at(1).get<std::int64_t>();
    info.layout.begin = j.at("bytes").at(0).get<std::uint64_t>();
    info.layout.end = j.at("bytes").at(1).get<std::uint64_t>();
    info.crc = j.at("crc32").get<std::uint32_t>();
    info.payload_bytes = j.at("payload_bytes").get<std::uint64_t>();
    info.payload_crc = j.at("payload_crc32").get<std::uint32_t>();
    info.input_planes = j.value("input_planes", "");
    if (j.at("chunk_bytes").get<std::uint64_t>() != kChunkBytes) throw bad_part(path, "a part cut into other chunks");
  } catch (const nlohmann::json::exception& e) {
    throw bad_part(path, std::string("a corrupted part trailer (") + e.what() + ")");
  }
  if (info.spec.k < 1 || info.spec.k > info.spec.n) throw bad_part(path, "a corrupted part trailer (part number)");
  if (info.payload_bytes != size - kFooterBytes - json_bytes)
    throw bad_part(path, "its payload is " + std::to_string(size - kFooterBytes - json_bytes) + " bytes, the trailer says " +
                             std::to_string(info.payload_bytes) + " (truncated or corrupted)");
  // The payload's checksum, read in 1 MiB pieces.
  std::vector<unsigned char> buf(std::size_t{1} << 20);
  std::uint32_t crc = 0;
  for (std::uint64_t at = 0; at < info.payload_bytes;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), info.payload_bytes - at));
    read_at(fd, path, buf.data(), n, at);
    crc = crc32_update(crc, buf.data(), n);
    at += n;
  }
  if (crc != info.payload_crc) throw bad_part(path, "its payload does not match its checksum (corrupted)");
  return info;
}

}  // namespace respace
