// SPDX-License-Identifier: MIT
#include "io/gzip_index.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/atomic_file.hpp"
#include "io/error.hpp"

namespace respace {
namespace {

constexpr std::size_t kWindow = 32768;
constexpr std::size_t kInBuffer = std::size_t{1} << 20;
constexpr char kMagic[] = "RESPACE-GZINDEX1";  // 16 bytes
constexpr std::uint64_t kMaxPoints = std::uint64_t{1} << 24;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(ExitCode::bad_input, path + ": " + what);
}

class Fd {
public:
  Fd(const std::string& path, int flags) : path_(path), fd_(::open(path.c_str(), flags | O_CLOEXEC)) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  std::size_t read_some(void* p, std::size_t n) {
    for (;;) {
      const ssize_t got = ::read(fd_, p, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) fail(path_, std::string("read error: ") + std::strerror(errno));
    }
  }
  void read_at(void* p, std::size_t n, std::uint64_t at) {
    auto* b = static_cast<unsigned char*>(p);
    while (n > 0) {
      const ssize_t got = ::pread(fd_, b, n, static_cast<off_t>(at));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) fail(path_, "ends early");
      b += got;
      n -= static_cast<std::size_t>(got);
      at += static_cast<std::uint64_t>(got);
    }
  }
  std::uint64_t size() const {
    struct stat st;
    if (::fstat(fd_, &st) != 0) fail(path_, std::string("cannot stat: ") + std::strerror(errno));
    return static_cast<std::uint64_t>(st.st_size);
  }

private:
  std::string path_;
  int fd_;
};

// The input's identity: its size and last 8 bytes.
void identity(Fd& f, std::uint64_t& size, unsigned char tail[8]) {
  size = f.size();
  std::memset(tail, 0, 8);
  if (size >= 8) f.read_at(tail, 8, size - 8);
}

void put64(std::vector<unsigned char>& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

std::uint64_t get64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

// A zlib stream that ends its life with its owner.
struct ZStream {
  z_stream s;
  explicit ZStream(int window_bits) {
    std::memset(&s, 0, sizeof s);
    if (inflateInit2(&s, window_bits) != Z_OK) throw Error(ExitCode::internal, "zlib inflateInit2 failed");
  }
  ~ZStream() { inflateEnd(&s); }
  ZStream(const ZStream&) = delete;
  ZStream& operator=(const ZStream&) = delete;
};


}  // namespace

GzipIndex build_gzip_index(const std::string& path, std::uint64_t span) {
  Fd f(path, O_RDONLY);
  if (!f.ok()) fail(path, std::string("cannot open: ") + std::strerror(errno));
  GzipIndex index;
  index.span = std::max<std::uint64_t>(span, kWindow);
  identity(f, index.file_bytes, index.tail);
  ZStream zs(16 + MAX_WBITS);  // gzip members
  std::vector<unsigned char> in(kInBuffer);
  std::vector<unsigned char> window(kWindow);  // the last 32 KiB of output, circular
  std::uint64_t total_in = 0, total_out = 0, last = 0;
  bool any = false;
  for (;;) {
    if (zs.s.avail_in == 0) {
      const std::size_t got = f.read_some(in.data(), in.size());
      if (got == 0) {
        if (!any) fail(path, "not a gzip file (empty)");
        fail(path, "truncated gzip stream (unexpected end of file)");
      }
      zs.s.next_in = in.data();
      zs.s.avail_in = static_cast<uInt>(got);
    }
    any = true;
    // Output into the circular window, up to its end; Z_BLOCK stops at each
    // block boundary.
    const std::size_t at = static_cast<std::size_t>(total_out % kWindow);
    zs.s.next_out = window.data() + at;
    zs.s.avail_out = static_cast<uInt>(kWindow - at);
    const uInt before_in = zs.s.avail_in, before_out = zs.s.avail_out;
    int rc = inflate(&zs.s, Z_BLOCK);
    total_in += before_in - zs.s.avail_in;
    total_out += before_out - zs.s.avail_out;
    if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR)
      fail(path, std::string("corrupt gzip data (") + (zs.s.msg ? zs.s.msg : "zlib error") + ")");
    if (rc == Z_STREAM_END) {
      // The member's end: another member, or the end of the file.
      if (zs.s.avail_in == 0) {
        const std::size_t got = f.read_some(in.data(), in.size());
        zs.s.next_in = in.data();
        zs.s.avail_in = static_cast<uInt>(got);
        if (got == 0) break;
      }
      if (zs.s.next_in[0] != 0x1f) fail(path, "trailing garbage after the end of the gzip stream");
      if (inflateReset(&zs.s) != Z_OK) throw Error(ExitCode::internal, "zlib inflateReset failed");
      continue;
    }
    // At a block boundary (bit 7), not after the last block (bit 6): an
    // access point, when far enough from the last one.
    if ((zs.s.data_type & 128) && !(zs.s.data_type & 64) && (index.points.empty() ? total_out > 0 : total_out - last >= index.span)) {
      if (index.points.size() >= kMaxPoints) fail(path, "too many access points (use a larger span)");
      AccessPoint p;
      p.out = total_out;
      p.in = total_in;
      p.bits = zs.s.data_type & 7;
      const std::size_t w = static_cast<std::size_t>(std::min<std::uint64_t>(total_out, kWindow));
      p.window.resize(w);
      const std::size_t end = static_cast<std::size_t>(total_out % kWindow);
      // the w bytes before `end`, circularly
      for (std::size_t i = 0; i < w; ++i) p.window[i] = window[(end + kWindow - w + i) % kWindow];
      index.points.push_back(std::move(p));
      last = total_out;
    }
  }
  index.total_out = total_out;
  index.point_count = index.points.size();
  return index;
}

std::string default_index_path(const std::string& input) { return input + ".respace-index"; }

std::uint64_t write_gzip_index(const GzipIndex& index, const std::string& path, bool replace) {
  std::vector<unsigned char> b(kMagic, kMagic + 16);
  put64(b, index.file_bytes);
  b.insert(b.end(), index.tail, index.tail + 8);
  put64(b, index.span);
  put64(b, index.total_out);
  put64(b, index.points.size());
  std::vector<unsigned char> packed(compressBound(kWindow));
  for (const AccessPoint& p : index.points) {
    put64(b, p.out);
    put64(b, p.in);
    put64(b, static_cast<std::uint64_t>(p.bits));
    put64(b, p.window.size());
    uLongf n = static_cast<uLongf>(packed.size());
    if (compress2(packed.data(), &n, p.window.data(), static_cast<uLong>(p.window.size()), 6) != Z_OK)
      throw Error(ExitCode::internal, "zlib compress2 failed");
    put64(b, n);
    b.insert(b.end(), packed.data(), packed.data() + n);
  }
  // The file's own CRC-32 last: a bit flipped in a window would otherwise
  // give wrong voxels silently.
  const auto crc = static_cast<std::uint32_t>(crc32(0, b.data(), static_cast<uInt>(b.size())));
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(crc >> (8 * i)));
  AtomicFile out(path);
  write_fully(out.fd(), path, b.data(), b.size());
  out.commit(replace);
  return b.size();
}

std::optional<GzipIndex> read_gzip_index(const std::string& path, const std::string& input,
                                         std::optional<std::uint64_t> before) {
  Fd f(path, O_RDONLY);
  if (!f.ok()) {
    if (errno == ENOENT) return std::nullopt;
    fail(path, std::string("cannot open the index: ") + std::strerror(errno));
  }
  const std::uint64_t size = f.size();
  const auto corrupt = [&] { fail(path, "a corrupt respace index (make it again: respace index " + input + ")"); };
  // Read piece by piece: the windows of the points not kept are skipped,
  // never held.
  // Every byte is read once, in order, for the file's CRC-32 (its last 4).
  if (size < 4) fail(path, "not a respace index (too short)");
  const std::uint64_t body = size - 4;
  std::uint64_t at = 0;
  uLong crc = crc32(0, nullptr, 0);
  const auto take = [&](void* dst, std::uint64_t n) {
    if (body - at < n) corrupt();
    f.read_at(dst, static_cast<std::size_t>(n), at);
    crc = crc32(crc, static_cast<const Bytef*>(dst), static_cast<uInt>(n));
    at += n;
  };
  unsigned char head[56];
  if (size < sizeof head + 4) fail(path, "not a respace index (too short)");
  take(head, sizeof head);
  if (std::memcmp(head, kMagic, 16) != 0) fail(path, "not a respace index");
  GzipIndex index;
  index.file_bytes = get64(head + 16);
  std::memcpy(index.tail, head + 24, 8);
  index.span = get64(head + 32);
  index.total_out = get64(head + 40);
  const std::uint64_t count = get64(head + 48);
  Fd in(input, O_RDONLY);
  if (!in.ok()) fail(input, std::string("cannot open: ") + std::strerror(errno));
  std::uint64_t in_size = 0;
  unsigned char tail[8];
  identity(in, in_size, tail);
  if (in_size != index.file_bytes || std::memcmp(tail, index.tail, 8) != 0)
    fail(path, "an index of another file than " + input + " (or of an older version of it; make it again: respace index " +
                   input + ")");
  if (count > kMaxPoints) corrupt();
  index.point_count = count;
  std::uint64_t last_out = 0;
  std::vector<unsigned char> packed_bytes;
  for (std::uint64_t i = 0; i < count; ++i) {
    unsigned char e[40];
    take(e, sizeof e);
    AccessPoint p;
    p.out = get64(e);
    p.in = get64(e + 8);
    const std::uint64_t bits = get64(e + 16), w = get64(e + 24), packed = get64(e + 32);
    if (bits > 7 || w > kWindow || w > p.out || p.out <= last_out || p.out > index.total_out || p.in > in_size ||
        (bits > 0 && p.in == 0) || packed > compressBound(kWindow))
      corrupt();
    last_out = p.out;
    packed_bytes.resize(static_cast<std::size_t>(packed));
    take(packed_bytes.data(), packed);
    if (before && p.out > *before) continue;  // past the offset wanted: checked, not kept
    p.bits = static_cast<int>(bits);
    p.window.resize(static_cast<std::size_t>(w));
    uLongf n = static_cast<uLongf>(w);
    if (uncompress(p.window.data(), &n, packed_bytes.data(), static_cast<uLong>(packed)) != Z_OK || n != w) corrupt();
    if (before) index.points.clear();  // only the last point at or before the offset
    index.points.push_back(std::move(p));
  }
  unsigned char stored[4];
  if (at != body) corrupt();
  f.read_at(stored, 4, body);
  if (static_cast<std::uint32_t>(crc) != (stored[0] | stored[1] << 8 | stored[2] << 16 | static_cast<std::uint32_t>(stored[3]) << 24))
    corrupt();
  return index;
}

std::unique_ptr<ByteSource> open_indexed_source(const std::string& path, const GzipIndex& index, std::uint64_t offset,
                                                GzipEngine engine) {
  // The last point at or before offset; none: the plain source from the start.
  auto it = std::upper_bound(index.points.begin(), index.points.end(), offset,
                             [](std::uint64_t o, const AccessPoint& p) { return o < p.out; });
  if (it == index.points.begin()) return open_byte_source(path, offset, engine);
  const AccessPoint& p = *(it - 1);
  return open_byte_source_at(path, p, offset - p.out, engine);
}

}  // namespace respace
