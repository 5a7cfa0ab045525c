// SPDX-License-Identifier: MIT
#include "io/gzip_index.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#if RESPACE_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

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

// The decompressed stream from an access point: raw deflate to the end of
// the member it starts in (its trailer skipped unchecked), then whole gzip
// members, checked. The file side and the read loop, whatever the engine;
// an engine supplies inflate_some() and its input pointers.
class IndexedSourceBase : public ByteSource {
public:
  void read_exact(void* dst, std::size_t n) override {
    auto* p = static_cast<unsigned char*>(dst);
    while (n > 0) {
      const std::size_t got = ended_ ? 0 : inflate_some(p, n);
      if (got == 0) fail(path_, "truncated voxel data: the decompressed stream ends " + std::to_string(n) +
                                    " bytes short of the data the header describes");
      p += got;
      n -= got;
    }
  }
  void finish() override {
    unsigned char sink[4096];
    while (!ended_ && inflate_some(sink, sizeof sink) > 0) {
    }
  }
  std::uint64_t file_bytes_read() const override { return read_; }
  bool is_gzip() const override { return true; }

protected:
  // Opens the file at the point; first_ gets the byte holding the block's
  // first bits (when p.bits > 0).
  IndexedSourceBase(const std::string& path, const AccessPoint& p)
      : path_(path), file_(path, O_RDONLY), in_(kInBuffer) {
    if (!file_.ok()) fail(path, std::string("cannot open: ") + std::strerror(errno));
    const std::uint64_t at = p.bits > 0 ? p.in - 1 : p.in;
    if (::lseek(file_.fd(), static_cast<off_t>(at), SEEK_SET) < 0) fail(path, "cannot seek to an access point");
    if (p.bits > 0) {
      if (file_.read_some(&first_, 1) != 1) fail(path, "truncated gzip stream (at an access point of its index)");
      ++read_;
    }
  }

  // Inflates up to n bytes; 0 only at the clean end of the stream.
  virtual std::size_t inflate_some(unsigned char* dst, std::size_t n) = 0;
  virtual unsigned char* next_in() const = 0;
  virtual std::size_t avail_in() const = 0;
  virtual void set_input(unsigned char* p, std::size_t n) = 0;
  // Ready for a gzip member's header, the input kept.
  virtual void reset_to_gzip() = 0;
  // After the raw first member: input the engine holds beyond its last
  // block, handed back in front of the input.
  virtual void hand_back() {}

  bool refill() {
    const std::size_t got = file_.read_some(in_.data(), in_.size());
    read_ += got;
    set_input(in_.data(), got);
    return got > 0;
  }
  // After a member: true when another follows (reset to read its gzip
  // header), false at a clean end of the file; the first member's trailer
  // is skipped unchecked.
  bool next_member() {
    if (raw_) {
      hand_back();
      for (std::size_t n = 8; n > 0;) {
        if (avail_in() == 0 && !refill()) fail(path_, "truncated gzip stream (no trailer after the last block)");
        const std::size_t k = std::min(n, avail_in());
        set_input(next_in() + k, avail_in() - k);
        n -= k;
      }
    }
    if (avail_in() == 0 && !refill()) return false;
    if (next_in()[0] != 0x1f) fail(path_, "trailing garbage after the end of the gzip stream");
    reset_to_gzip();
    raw_ = false;
    return true;
  }
  // The engine's inflate stopped: at a member's end, the next one (or the
  // stream's end: `ended_`); returns whether to go on.
  bool member_ended() {
    if (next_member()) return true;
    ended_ = true;
    return false;
  }
  [[noreturn]] void corrupt(const std::string& why) const { fail(path_, "corrupt gzip data (" + why + ")"); }
  [[noreturn]] void truncated() const { fail(path_, "truncated gzip stream (unexpected end of file)"); }

  std::string path_;
  Fd file_;
  std::vector<unsigned char> in_;
  std::uint64_t read_ = 0;  // compressed bytes read (from the access point on)
  unsigned char first_ = 0;
  bool raw_ = true, ended_ = false;
};

class IndexedSource final : public IndexedSourceBase {
public:
  IndexedSource(const std::string& path, const AccessPoint& p) : IndexedSourceBase(path, p), zs_(-15) {
    if (p.bits > 0 && inflatePrime(&zs_.s, p.bits, first_ >> (8 - p.bits)) != Z_OK)
      fail(path, "zlib inflatePrime failed");
    if (!p.window.empty() &&
        inflateSetDictionary(&zs_.s, p.window.data(), static_cast<uInt>(p.window.size())) != Z_OK)
      fail(path, "zlib inflateSetDictionary failed");
  }

private:
  unsigned char* next_in() const override { return zs_.s.next_in; }
  std::size_t avail_in() const override { return zs_.s.avail_in; }
  void set_input(unsigned char* p, std::size_t n) override {
    zs_.s.next_in = p;
    zs_.s.avail_in = static_cast<uInt>(n);
  }
  void reset_to_gzip() override {
    if (inflateReset2(&zs_.s, 16 + MAX_WBITS) != Z_OK) fail(path_, "zlib inflateReset2 failed");
  }
  std::size_t inflate_some(unsigned char* dst, std::size_t n) override {
    zs_.s.next_out = dst;
    zs_.s.avail_out = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    const uInt want = zs_.s.avail_out;
    while (zs_.s.avail_out == want) {
      int rc = inflate(&zs_.s, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        if (zs_.s.avail_out != want) break;
        if (!member_ended()) return 0;
        continue;
      }
      if (rc == Z_BUF_ERROR && zs_.s.avail_in > 0) rc = Z_DATA_ERROR;
      if (rc != Z_OK && rc != Z_BUF_ERROR) corrupt(zs_.s.msg ? zs_.s.msg : "zlib error");
      if (zs_.s.avail_in == 0 && zs_.s.avail_out == want && !refill()) truncated();
    }
    return want - zs_.s.avail_out;
  }

  ZStream zs_;
};

#if RESPACE_HAVE_ISAL
// The same by ISA-L's inflate (about twice zlib's speed): the block's first
// bits go into its bit buffer as inflatePrime puts them into zlib's, the
// window in as its dictionary.
class IsalIndexedSource final : public IndexedSourceBase {
public:
  IsalIndexedSource(const std::string& path, const AccessPoint& p)
      : IndexedSourceBase(path, p), state_(std::make_unique<inflate_state>()) {
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_DEFLATE;
    if (!p.window.empty() &&
        isal_inflate_set_dict(state_.get(), const_cast<std::uint8_t*>(p.window.data()),
                              static_cast<std::uint32_t>(p.window.size())) != COMP_OK)
      fail(path, "ISA-L isal_inflate_set_dict failed");
    if (p.bits > 0) {
      state_->read_in = static_cast<std::uint64_t>(first_ >> (8 - p.bits));
      state_->read_in_length = p.bits;
    }
  }

private:
  unsigned char* next_in() const override { return state_->next_in; }
  std::size_t avail_in() const override { return state_->avail_in; }
  void set_input(unsigned char* p, std::size_t n) override {
    state_->next_in = p;
    state_->avail_in = static_cast<std::uint32_t>(n);
  }
  // isal_inflate_init clears the input and the output pointers alike.
  void reset_to_gzip() override {
    unsigned char* next_in = state_->next_in;
    unsigned char* next_out = state_->next_out;
    const std::uint32_t avail_in = state_->avail_in, avail_out = state_->avail_out;
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_GZIP;
    state_->next_in = next_in;
    state_->avail_in = avail_in;
    state_->next_out = next_out;
    state_->avail_out = avail_out;
  }
  // Whole bytes left in ISA-L's bit buffer after the last block (past its
  // padding bits): seen as 0 here, handled should a version keep some.
  void hand_back() override {
    const int pad = state_->read_in_length % 8, whole = state_->read_in_length / 8;
    if (whole == 0) return;
    std::vector<unsigned char> again;
    for (int i = 0; i < whole; ++i) again.push_back(static_cast<unsigned char>(state_->read_in >> (pad + 8 * i)));
    again.insert(again.end(), state_->next_in, state_->next_in + state_->avail_in);
    spill_.swap(again);
    state_->read_in = 0;
    state_->read_in_length = 0;
    set_input(spill_.data(), spill_.size());
  }
  std::size_t inflate_some(unsigned char* dst, std::size_t n) override {
    state_->next_out = dst;
    state_->avail_out = static_cast<std::uint32_t>(std::min<std::size_t>(n, 1u << 30));
    const std::uint32_t want = state_->avail_out;
    while (state_->avail_out == want) {
      if (state_->block_state == ISAL_BLOCK_FINISH) {
        if (!member_ended()) return 0;
        continue;
      }
      const int rc = isal_inflate(state_.get());
      if (rc != ISAL_DECOMP_OK) corrupt(rc == ISAL_INCORRECT_CHECKSUM ? "incorrect data check" : "invalid deflate data");
      if (state_->block_state == ISAL_BLOCK_FINISH) continue;
      if (state_->avail_out == want && state_->avail_in == 0 && !refill()) truncated();
    }
    return want - state_->avail_out;
  }

  std::unique_ptr<inflate_state> state_;
  std::vector<unsigned char> spill_;  // input handed back after the first member's last block
};
#endif

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
  std::unique_ptr<ByteSource> src;
#if RESPACE_HAVE_ISAL
  if (engine == GzipEngine::isal) src = std::make_unique<IsalIndexedSource>(path, p);
#endif
  if (!src) src = std::make_unique<IndexedSource>(path, p);
  src->skip(offset - p.out);
  return src;
}

}  // namespace respace
