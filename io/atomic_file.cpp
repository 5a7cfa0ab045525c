// SPDX-License-Identifier: MIT
#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include "io/error.hpp"

namespace respace {
namespace {

// Pending temporary paths, readable from a signal handler: a slot owns a
// heap copy of the path, published with an atomic pointer.
std::atomic<const char*> g_pending[kMaxPending];

int claim_slot(const char* path) {
  for (int i = 0; i < kMaxPending; ++i) {
    const char* expected = nullptr;
    if (g_pending[i].compare_exchange_strong(expected, path)) return i;
  }
  return -1;  // table full: the file is still removed by the destructor
}

std::atomic<int> g_open_line{-1};

extern "C" void on_fatal_signal(int sig) {
  for (auto& slot : g_pending) {
    const char* p = slot.load();
    if (p) ::unlink(p);
  }
  const int fd = g_open_line.load();
  if (fd >= 0 && ::write(fd, "\n", 1) < 0) {
    // nothing more to do on the way out
  }
  ::_exit(128 + sig);
}

// mkostemp on "pattern" (ending in XXXXXX); the name it made goes to `path`.
int make_temp(const std::string& pattern, const std::string& folder, const std::string& what, std::string& path) {
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0)
    throw Error(ExitCode::bad_output, what + ": cannot create a temporary file in " + folder + ": " +
                                          std::strerror(errno));
  path.assign(name.data());
  return fd;
}

}  // namespace

std::string folder_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : (slash == 0 ? std::string("/") : path.substr(0, slash));
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

ScratchFile::ScratchFile(const std::string& folder, const std::string& what) {
  const std::string pattern = folder + "/.respace-" + what + "-XXXXXX";
  fd_ = make_temp(pattern, folder, pattern, path_);
  ::unlink(path_.c_str());
}

ScratchFile::~ScratchFile() {
  if (fd_ >= 0) ::close(fd_);
}

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
  const std::string folder = folder_of(target_);
  fd_ = make_temp(folder + "/." + base_of(target_) + ".respace-XXXXXX", folder, target_, temp_);
  // mkstemp creates mode 0600; give the file the usual 0666 & ~umask.
  mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd_, 0666 & ~mask) != 0) { /* keep 0600: not worth failing the run */ }
  char* published = new char[temp_.size() + 1];
  std::memcpy(published, temp_.c_str(), temp_.size() + 1);
  slot_ = claim_slot(published);
  if (slot_ < 0) delete[] published;
}

void AtomicFile::commit() {
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0)
    throw Error(ExitCode::bad_output, target_ + ": cannot finish writing: " + std::strerror(errno));
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    throw Error(ExitCode::bad_output, target_ + ": cannot rename the finished file into place: " +
                                          std::strerror(errno));
  committed_ = true;
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
  if (slot_ >= 0) {
    const char* p = g_pending[slot_].exchange(nullptr);
    delete[] p;
  }
}

void set_open_line(int fd) { g_open_line.store(fd); }

void install_cleanup_signal_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

}  // namespace respace
