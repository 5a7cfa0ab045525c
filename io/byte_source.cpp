// SPDX-License-Identifier: MIT
#include "io/byte_source.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "io/error.hpp"

#if RESPACE_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

namespace respace {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(ExitCode::bad_input, path + ": " + what);
}

// Owns a file descriptor opened for reading.
class InputFd {
public:
  explicit InputFd(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  }
  ~InputFd() { if (fd_ >= 0) ::close(fd_); }
  InputFd(const InputFd&) = delete;
  InputFd& operator=(const InputFd&) = delete;

  // Reads up to n bytes; returns 0 only at end of file.
  std::size_t read_some(void* dst, std::size_t n) {
    for (;;) {
      ssize_t got = ::read(fd_, dst, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) fail(path_, std::string("read error: ") + std::strerror(errno));
    }
  }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

private:
  std::string path_;
  int fd_ = -1;
};

class RawSource final : public ByteSource {
public:
  RawSource(const std::string& path, std::uint64_t offset) : file_(path) {
    if (::lseek(file_.fd(), static_cast<off_t>(offset), SEEK_SET) < 0)
      fail(path, "cannot seek to the voxel data");
    pos_ = offset;
  }
  void read_exact(void* dst, std::size_t n) override {
    auto* p = static_cast<unsigned char*>(dst);
    std::size_t done = 0;
    while (done < n) {
      std::size_t got = file_.read_some(p + done, n - done);
      if (got == 0)
        fail(file_.path(), "truncated voxel data: the file ends at byte " +
                               std::to_string(pos_ + done) + ", " +
                               std::to_string(n - done) + " bytes short of the data the header describes");
      done += got;
    }
    pos_ += n;
  }
  void finish() override {}
  std::uint64_t file_bytes_read() const override { return pos_; }
  bool is_gzip() const override { return false; }

private:
  InputFd file_;
  std::uint64_t pos_ = 0;
};

// The file side and the read loop of a gzip source, whatever the engine:
// reading compressed input, members back to back, trailing garbage, and the
// messages. An engine supplies inflate_some() and access to its input
// pointers (called once per buffer or member, never per byte).
//
// A source may also start at an access point of an index (io/gzip_index.hpp)
// instead of the stream's start: it then inflates raw deflate to the end of
// the member it entered, skips that member's trailer unchecked, and reads
// the following members as usual.
class GzipSourceBase : public ByteSource {
public:
  void read_exact(void* dst, std::size_t n) override {
    auto* p = static_cast<unsigned char*>(dst);
    std::size_t done = 0;
    while (done < n) {
      std::size_t got = ended_ ? 0 : inflate_some(p + done, n - done);
      if (got == 0)
        fail(file_.path(), "truncated voxel data: the decompressed stream ends " +
                               std::to_string(n - done) + " bytes short of the data the header describes");
      done += got;
    }
  }
  void finish() override {
    unsigned char sink[4096];
    while (!ended_ && inflate_some(sink, sizeof sink) > 0) {
    }
  }
  std::uint64_t file_bytes_read() const override { return file_read_; }
  bool is_gzip() const override { return true; }

protected:
  explicit GzipSourceBase(const std::string& path) : file_(path), in_(kReadBuffer) {}

  // Inflates up to n bytes; 0 only at the clean end of the stream (then
  // ended_ is set).
  virtual std::size_t inflate_some(unsigned char* dst, std::size_t n) = 0;
  virtual const unsigned char* next_in() const = 0;
  virtual std::size_t avail_in() const = 0;
  virtual void set_input(unsigned char* p, std::size_t n) = 0;
  virtual void reset_member() = 0;  // ready for the next gzip member (its header)
  // At the end of the member entered at an access point: input the engine
  // holds beyond its last block, handed back in front of the input.
  virtual void hand_back() {}

  // Positions the file at access point p (its first whole byte, or the byte
  // before when the block starts inside it) and returns that byte's bits
  // the block starts with (0 when p.bits is 0). Inflate raw deflate from
  // here until the member ends.
  unsigned char enter(const AccessPoint& p) {
    const std::uint64_t at = p.bits > 0 ? p.in - 1 : p.in;
    if (::lseek(file_.fd(), static_cast<off_t>(at), SEEK_SET) < 0) fail(file_.path(), "cannot seek to an access point");
    raw_first_ = true;
    unsigned char first = 0;
    if (p.bits > 0) {
      if (file_.read_some(&first, 1) != 1) fail(file_.path(), "truncated gzip stream (at an access point of its index)");
      ++file_read_;
    }
    return first;
  }

  // More compressed input; false at the end of the file.
  bool refill() {
    std::size_t got = file_.read_some(in_.data(), in_.size());
    file_read_ += got;
    set_input(in_.data(), got);
    return got > 0;
  }
  // At the end of a member: true if another member follows, false at a
  // clean end of file; throws on anything else.
  bool next_member() {
    if (raw_first_) {  // the member entered in its middle: its trailer skipped
      hand_back();
      for (std::size_t n = 8; n > 0;) {
        if (avail_in() == 0 && !refill()) fail(file_.path(), "truncated gzip stream (no trailer after the last block)");
        const std::size_t k = std::min(n, avail_in());
        set_input(const_cast<unsigned char*>(next_in()) + k, avail_in() - k);
        n -= k;
      }
      raw_first_ = false;
    }
    if (avail_in() == 0 && !refill()) return false;
    const unsigned char* p = next_in();
    if (p[0] != 0x1f || (avail_in() > 1 && p[1] != 0x8b))
      fail(file_.path(), "trailing garbage after the end of the gzip stream");
    reset_member();
    return true;
  }
  [[noreturn]] void truncated() const { fail(file_.path(), "truncated gzip stream (unexpected end of file)"); }
  [[noreturn]] void corrupt(const std::string& why) const {
    fail(file_.path(), "corrupt gzip data (" + why + ")");
  }

  InputFd file_;
  std::vector<unsigned char> in_;
  std::uint64_t file_read_ = 0;
  bool ended_ = false;
  bool raw_first_ = false;  // in the member entered at an access point
};

class GzipSource final : public GzipSourceBase {
public:
  GzipSource(const std::string& path, std::uint64_t offset) : GzipSourceBase(path) {
    std::memset(&zs_, 0, sizeof zs_);
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) fail(path, "zlib inflateInit2 failed");
    try {
      skip(offset);  // a corrupt or short stream throws here...
    } catch (...) {
      inflateEnd(&zs_);  // ...and a half-built object runs no destructor (found by fuzz_header)
      throw;
    }
  }
  GzipSource(const std::string& path, const AccessPoint& p, std::uint64_t skip_bytes) : GzipSourceBase(path) {
    std::memset(&zs_, 0, sizeof zs_);
    if (inflateInit2(&zs_, -MAX_WBITS) != Z_OK) fail(path, "zlib inflateInit2 failed");
    try {
      const unsigned char first = enter(p);
      if (p.bits > 0 && inflatePrime(&zs_, p.bits, first >> (8 - p.bits)) != Z_OK) fail(path, "zlib inflatePrime failed");
      if (!p.window.empty() &&
          inflateSetDictionary(&zs_, p.window.data(), static_cast<uInt>(p.window.size())) != Z_OK)
        fail(path, "zlib inflateSetDictionary failed");
      skip(skip_bytes);
    } catch (...) {
      inflateEnd(&zs_);
      throw;
    }
  }
  ~GzipSource() override { inflateEnd(&zs_); }

private:
  const unsigned char* next_in() const override { return zs_.next_in; }
  std::size_t avail_in() const override { return zs_.avail_in; }
  void set_input(unsigned char* p, std::size_t n) override {
    zs_.next_in = p;
    zs_.avail_in = static_cast<uInt>(n);
  }
  void reset_member() override {  // gzip wrapping (a source entered at an access point started raw)
    if (inflateReset2(&zs_, 16 + MAX_WBITS) != Z_OK) fail(file_.path(), "zlib inflateReset2 failed");
  }

  std::size_t inflate_some(unsigned char* dst, std::size_t n) override {
    zs_.next_out = dst;
    zs_.avail_out = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    const uInt want = zs_.avail_out;
    while (zs_.avail_out == want) {
      // inflate() first: with no input left it may still finish a member
      // from the bits it holds (the trailer), and only then asks for more.
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        if (zs_.avail_out != want) break;  // hand back what this member gave
        if (!next_member()) { ended_ = true; return 0; }
        continue;
      }
      if (rc == Z_BUF_ERROR && zs_.avail_in > 0) rc = Z_DATA_ERROR;  // no progress possible
      if (rc != Z_OK && rc != Z_BUF_ERROR) corrupt(zs_.msg ? zs_.msg : "zlib error");
      if (zs_.avail_in == 0 && zs_.avail_out == want && !refill()) truncated();
    }
    // A member that ends inside this call returns what it produced; the next
    // call meets Z_STREAM_END again with no output and moves to next_member().
    return want - zs_.avail_out;
  }

  z_stream zs_;
};

#if RESPACE_HAVE_ISAL
// The same contract decoded by ISA-L's inflate (about twice zlib's speed).
// ISA-L parses the gzip header and checks the CRC itself (crc_flag
// ISAL_GZIP); at the end of a member it hands back the input bytes it had
// read ahead, so the next member or any trailing bytes are seen.
class IsalGzipSource final : public GzipSourceBase {
public:
  IsalGzipSource(const std::string& path, std::uint64_t offset)
      : GzipSourceBase(path), state_(std::make_unique<inflate_state>()) {
    reset_member();
    skip(offset);
  }
  // At an access point: raw deflate, the block's first bits in ISA-L's bit
  // buffer (as inflatePrime puts them in zlib's), the window as dictionary.
  IsalGzipSource(const std::string& path, const AccessPoint& p, std::uint64_t skip_bytes)
      : GzipSourceBase(path), state_(std::make_unique<inflate_state>()) {
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_DEFLATE;
    if (!p.window.empty() &&
        isal_inflate_set_dict(state_.get(), const_cast<std::uint8_t*>(p.window.data()),
                              static_cast<std::uint32_t>(p.window.size())) != COMP_OK)
      fail(path, "ISA-L isal_inflate_set_dict failed");
    const unsigned char first = enter(p);
    if (p.bits > 0) {
      state_->read_in = static_cast<std::uint64_t>(first >> (8 - p.bits));
      state_->read_in_length = p.bits;
    }
    skip(skip_bytes);
  }

private:
  const unsigned char* next_in() const override { return state_->next_in; }
  std::size_t avail_in() const override { return state_->avail_in; }
  void set_input(unsigned char* p, std::size_t n) override {
    state_->next_in = p;
    state_->avail_in = static_cast<std::uint32_t>(n);
  }
  // isal_inflate_init clears the input and the output pointers alike; a
  // reset between members keeps both.
  void reset_member() override {
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

  std::size_t inflate_some(unsigned char* dst, std::size_t n) override {
    state_->next_out = dst;
    state_->avail_out = static_cast<std::uint32_t>(std::min<std::size_t>(n, 1u << 30));
    const std::uint32_t want = state_->avail_out;
    while (state_->avail_out == want) {
      if (state_->block_state == ISAL_BLOCK_FINISH) {
        if (!next_member()) { ended_ = true; return 0; }
        continue;
      }
      const int rc = isal_inflate(state_.get());
      if (rc != ISAL_DECOMP_OK)
        corrupt(rc == ISAL_INCORRECT_CHECKSUM ? "incorrect data check"
                : rc == ISAL_INVALID_WRAPPER  ? "invalid gzip header"
                                              : "invalid deflate data");
      if (state_->block_state == ISAL_BLOCK_FINISH) continue;
      if (state_->avail_out == want && state_->avail_in == 0 && !refill()) truncated();
    }
    return want - state_->avail_out;
  }

  // Whole bytes left in ISA-L's bit buffer after raw deflate's last block
  // (past its padding bits): seen as 0 here, handled should a version keep
  // some.
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

  std::unique_ptr<inflate_state> state_;
  std::vector<unsigned char> spill_;  // input handed back after an entered member's last block
};
#endif

class WatchedSource final : public ByteSource {
public:
  WatchedSource(std::unique_ptr<ByteSource> inner, std::function<void(const unsigned char*, std::size_t)> after,
                std::function<void(std::size_t)> before)
      : inner_(std::move(inner)), after_(std::move(after)), before_(std::move(before)) {}
  void read_exact(void* dst, std::size_t n) override {
    if (before_) before_(n);
    inner_->read_exact(dst, n);
    after_(static_cast<const unsigned char*>(dst), n);
  }
  void finish() override { inner_->finish(); }
  std::uint64_t file_bytes_read() const override { return inner_->file_bytes_read(); }
  bool is_gzip() const override { return inner_->is_gzip(); }

private:
  std::unique_ptr<ByteSource> inner_;
  std::function<void(const unsigned char*, std::size_t)> after_;
  std::function<void(std::size_t)> before_;
};

class MemorySource final : public ByteSource {
public:
  MemorySource(const unsigned char* data, std::uint64_t bytes, std::string name)
      : data_(data), bytes_(bytes), name_(std::move(name)) {}
  void read_exact(void* dst, std::size_t n) override {
    if (n > bytes_ - at_) throw Error(ExitCode::bad_input, name_ + ": the array ends before its voxel data do");
    std::memcpy(dst, data_ + at_, n);
    at_ += n;
  }
  void finish() override {}
  std::uint64_t file_bytes_read() const override { return at_; }
  bool is_gzip() const override { return false; }

private:
  const unsigned char* data_;
  std::uint64_t bytes_, at_ = 0;
  std::string name_;
};

}  // namespace

void ByteSource::skip(std::uint64_t n) {
  unsigned char buf[16384];
  while (n > 0) {
    std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(n, sizeof buf));
    read_exact(buf, step);
    n -= step;
  }
}

bool file_is_gzip(const std::string& path) {
  InputFd f(path);
  unsigned char magic[2] = {0, 0};
  std::size_t got = f.read_some(magic, 2);
  if (got == 1) got += f.read_some(magic + 1, 1);
  return got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

std::unique_ptr<ByteSource> watched_source(std::unique_ptr<ByteSource> inner,
                                           std::function<void(const unsigned char*, std::size_t)> after,
                                           std::function<void(std::size_t)> before) {
  return std::make_unique<WatchedSource>(std::move(inner), std::move(after), std::move(before));
}

std::unique_ptr<ByteSource> memory_source(const unsigned char* data, std::uint64_t bytes, std::string name) {
  return std::make_unique<MemorySource>(data, bytes, std::move(name));
}

std::unique_ptr<ByteSource> open_byte_source_at(const std::string& path, const AccessPoint& point, std::uint64_t skip,
                                                GzipEngine engine) {
#if RESPACE_HAVE_ISAL
  if (engine == GzipEngine::isal) return std::make_unique<IsalGzipSource>(path, point, skip);
#endif
  (void)engine;
  return std::make_unique<GzipSource>(path, point, skip);
}

std::unique_ptr<ByteSource> open_byte_source(const std::string& path, std::uint64_t offset, GzipEngine engine) {
  if (!file_is_gzip(path)) return std::make_unique<RawSource>(path, offset);
#if RESPACE_HAVE_ISAL
  if (engine == GzipEngine::isal) return std::make_unique<IsalGzipSource>(path, offset);
#endif
  (void)engine;
  return std::make_unique<GzipSource>(path, offset);
}

}  // namespace respace
