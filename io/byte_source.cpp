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

class GzipSource final : public ByteSource {
public:
  GzipSource(const std::string& path, std::uint64_t offset) : file_(path), in_(kReadBuffer) {
    std::memset(&zs_, 0, sizeof zs_);
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) fail(path, "zlib inflateInit2 failed");
    try {
      skip(offset);  // a corrupt or short stream throws here...
    } catch (...) {
      inflateEnd(&zs_);  // ...and a half-built object runs no destructor (found by fuzz_header)
      throw;
    }
  }
  ~GzipSource() override { inflateEnd(&zs_); }

  void read_exact(void* dst, std::size_t n) override {
    auto* p = static_cast<unsigned char*>(dst);
    std::size_t done = 0;
    while (done < n) {
      std::size_t got = inflate_some(p + done, n - done);
      if (got == 0)
        fail(file_.path(), "truncated voxel data: the decompressed stream ends " +
                               std::to_string(n - done) + " bytes short of the data the header describes");
      done += got;
    }
  }

  void finish() override {
    unsigned char sink[4096];
    while (inflate_some(sink, sizeof sink) > 0) {
    }
  }
  std::uint64_t file_bytes_read() const override { return file_read_; }
  bool is_gzip() const override { return true; }

private:
  bool refill() {
    std::size_t got = file_.read_some(in_.data(), in_.size());
    file_read_ += got;
    zs_.next_in = in_.data();
    zs_.avail_in = static_cast<uInt>(got);
    return got > 0;
  }

  // At the end of a member: true if another member follows, false at a clean
  // end of file; throws on anything else.
  bool next_member() {
    if (zs_.avail_in == 0 && !refill()) return false;
    if (zs_.next_in[0] != 0x1f || (zs_.avail_in > 1 && zs_.next_in[1] != 0x8b))
      fail(file_.path(), "trailing garbage after the end of the gzip stream");
    if (inflateReset(&zs_) != Z_OK) fail(file_.path(), "zlib inflateReset failed");
    return true;
  }

  // Inflates up to n bytes; returns 0 only at the clean end of the stream.
  std::size_t inflate_some(unsigned char* dst, std::size_t n) {
    if (ended_) return 0;
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
      if (rc != Z_OK && rc != Z_BUF_ERROR)
        fail(file_.path(), std::string("corrupt gzip data (") + (zs_.msg ? zs_.msg : "zlib error") + ")");
      if (zs_.avail_in == 0 && zs_.avail_out == want && !refill())
        fail(file_.path(), "truncated gzip stream (unexpected end of file)");
    }
    // A member that ends inside this call returns what it produced; the next
    // call meets Z_STREAM_END again with no output and moves to next_member().
    return want - zs_.avail_out;
  }

  InputFd file_;
  std::vector<unsigned char> in_;
  z_stream zs_;
  std::uint64_t file_read_ = 0;
  bool ended_ = false;
};

#if RESPACE_HAVE_ISAL
// The same contract as GzipSource, decoded by ISA-L's inflate (about twice
// zlib's speed). ISA-L parses the gzip header and checks the CRC itself
// (crc_flag ISAL_GZIP); at the end of a member it hands back the input bytes
// it had read ahead, so the next member or any trailing bytes are seen.
class IsalGzipSource final : public ByteSource {
public:
  IsalGzipSource(const std::string& path, std::uint64_t offset) : file_(path), in_(kReadBuffer) {
    state_ = std::make_unique<inflate_state>();
    reset();
    skip(offset);
  }

  void read_exact(void* dst, std::size_t n) override {
    auto* p = static_cast<unsigned char*>(dst);
    std::size_t done = 0;
    while (done < n) {
      std::size_t got = inflate_some(p + done, n - done);
      if (got == 0)
        fail(file_.path(), "truncated voxel data: the decompressed stream ends " +
                               std::to_string(n - done) + " bytes short of the data the header describes");
      done += got;
    }
  }
  void finish() override {
    unsigned char sink[4096];
    while (inflate_some(sink, sizeof sink) > 0) {
    }
  }
  std::uint64_t file_bytes_read() const override { return file_read_; }
  bool is_gzip() const override { return true; }

private:
  // isal_inflate_init clears the input and the output pointers alike; a
  // reset between members keeps both.
  void reset() {
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
  bool refill() {
    std::size_t got = file_.read_some(in_.data(), in_.size());
    file_read_ += got;
    state_->next_in = in_.data();
    state_->avail_in = static_cast<std::uint32_t>(got);
    return got > 0;
  }
  bool next_member() {
    if (state_->avail_in == 0 && !refill()) return false;
    if (state_->next_in[0] != 0x1f || (state_->avail_in > 1 && state_->next_in[1] != 0x8b))
      fail(file_.path(), "trailing garbage after the end of the gzip stream");
    reset();
    return true;
  }
  std::size_t inflate_some(unsigned char* dst, std::size_t n) {
    if (ended_) return 0;
    state_->next_out = dst;
    state_->avail_out = static_cast<std::uint32_t>(std::min<std::size_t>(n, 1u << 30));
    const std::uint32_t want = state_->avail_out;
    while (state_->avail_out == want) {
      if (state_->block_state == ISAL_BLOCK_FINISH) {
        if (!next_member()) { ended_ = true; return 0; }
        continue;
      }
      const int rc = isal_inflate(state_.get());
      if (rc != ISAL_DECOMP_OK) {
        const char* what = rc == ISAL_INCORRECT_CHECKSUM ? "incorrect data check"
                           : rc == ISAL_INVALID_WRAPPER   ? "invalid gzip header"
                                                          : "invalid deflate data";
        fail(file_.path(), std::string("corrupt gzip data (") + what + ")");
      }
      if (state_->block_state == ISAL_BLOCK_FINISH) continue;
      if (state_->avail_out == want && state_->avail_in == 0 && !refill())
        fail(file_.path(), "truncated gzip stream (unexpected end of file)");
    }
    return want - state_->avail_out;
  }

  InputFd file_;
  std::vector<unsigned char> in_;
  std::unique_ptr<inflate_state> state_;
  std::uint64_t file_read_ = 0;
  bool ended_ = false;
};
#endif

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

std::unique_ptr<ByteSource> open_byte_source(const std::string& path, std::uint64_t offset, GzipEngine engine) {
  if (!file_is_gzip(path)) return std::make_unique<RawSource>(path, offset);
#if RESPACE_HAVE_ISAL
  if (engine == GzipEngine::isal) return std::make_unique<IsalGzipSource>(path, offset);
#endif
  (void)engine;
  return std::make_unique<GzipSource>(path, offset);
}

}  // namespace respace
