// SPDX-License-Identifier: MIT
#include "io/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

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

void remove_pending() {
  for (auto& slot : g_pending) {
    const char* p = slot.load();
    if (p) ::unlink(p);
  }
}

extern "C" void on_fatal_signal(int sig) {
  remove_pending();
  const int fd = g_open_line.load();
  if (fd >= 0 && ::write(fd, "\n", 1) < 0) {
    // nothing more to do on the way out
  }
  ::_exit(128 + sig);
}

// A crash (a bug): remove the temporary files, then die of the signal as
// the default action would (SA_RESETHAND put it back).
extern "C" void on_crash_signal(int sig) {
  remove_pending();
  ::raise(sig);
}

// The catchable signals whose default action ends the process.
constexpr int kTerminating[] = {SIGINT,    SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1, SIGUSR2,
                                SIGALRM,   SIGVTALRM, SIGPROF, SIGXCPU, SIGPOLL, SIGPWR};

// Holds the terminating signals off for its lifetime (a commit must not be
// cut in two); a signal that arrives meanwhile is delivered at the end.
class SignalHold {
public:
  SignalHold() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : kTerminating) sigaddset(&set, sig);
    ::pthread_sigmask(SIG_BLOCK, &set, &saved_);
  }
  ~SignalHold() { ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  SignalHold(const SignalHold&) = delete;
  SignalHold& operator=(const SignalHold&) = delete;

private:
  sigset_t saved_;
};

[[noreturn]] void cannot_place(const std::string& target, int err) {
  if (err == EEXIST)
    throw Error(ExitCode::bad_output, target + ": appeared while respace was writing it; not replaced "
                                               "(use --force to replace it)");
  throw Error(ExitCode::bad_output, target + ": cannot rename the finished file into place: " +
                                        std::strerror(err));
}

// Moves `temp` to `target` unless `target` exists (then throws).
void place_new(const std::string& temp, const std::string& target) {
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) return;
  if (errno != EINVAL && errno != ENOSYS) cannot_place(target, errno);
  // A file system without RENAME_NOREPLACE: link(2) fails on an existing name too.
  if (::link(temp.c_str(), target.c_str()) != 0) cannot_place(target, errno);
  ::unlink(temp.c_str());
}

void place(const std::string& temp, const std::string& target, bool replace) {
  if (!replace) return place_new(temp, target);
  if (::rename(temp.c_str(), target.c_str()) != 0) cannot_place(target, errno == EEXIST ? ENOTEMPTY : errno);
}

std::string temp_prefix(const std::string& folder) {
  return folder + "/.respace-" + std::to_string(::getpid()) + "-";
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

bool name_taken(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string folder_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : (slash == 0 ? std::string("/") : path.substr(0, slash));
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

ScratchFile::ScratchFile(const std::string& folder, const std::string& what) {
  SignalHold hold;  // a signal between creating and unlinking would leave the file
  const std::string pattern = temp_prefix(folder) + what + "-XXXXXX";
  fd_ = make_temp(pattern, folder, pattern, path_);
  ::unlink(path_.c_str());
}

ScratchFile::~ScratchFile() {
  if (fd_ >= 0) ::close(fd_);
}

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
  // A signal between creating the file and publishing its name to the
  // handler would leave it behind: hold them off until it is published.
  SignalHold hold;
  const std::string folder = folder_of(target_);
  fd_ = make_temp(temp_prefix(folder) + "XXXXXX", folder, target_, temp_);
  // mkstemp creates mode 0600; give the file the usual 0666 & ~umask.
  mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd_, 0666 & ~mask) != 0) { /* keep 0600: not worth failing the run */ }
  char* published = new char[temp_.size() + 1];
  std::memcpy(published, temp_.c_str(), temp_.size() + 1);
  slot_ = claim_slot(published);
  if (slot_ < 0) delete[] published;
}

void AtomicFile::close_for_commit() {
  const int fd = fd_;
  fd_ = -1;
  if (fd >= 0 && ::close(fd) != 0)
    throw Error(ExitCode::bad_output, target_ + ": cannot finish writing: " + std::strerror(errno));
}

void AtomicFile::commit(bool replace) {
  close_for_commit();
  place(temp_, target_, replace);
  committed_ = true;
}

void commit_pair(AtomicFile& image, AtomicFile& header, bool replace) {
  SignalHold hold;
  image.close_for_commit();
  header.close_for_commit();
  // The image that is there now, kept under a second name until the header
  // is in place (only --force can replace it).
  std::string keep;
  struct stat st;
  if (replace && ::lstat(image.target_.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    keep = temp_prefix(folder_of(image.target_)) + "keep";
    ::unlink(keep.c_str());
    if (::link(image.target_.c_str(), keep.c_str()) != 0) keep.clear();
  }
  place(image.temp_, image.target_, replace);
  image.committed_ = true;
  try {
    place(header.temp_, header.target_, replace);
  } catch (const Error& e) {
    std::string undone;
    if (!keep.empty()) {
      ::rename(keep.c_str(), image.target_.c_str());  // the old image back
      undone = "; the old " + base_of(image.target_) + " was put back, so the pair is as it was";
    } else {
      ::unlink(image.target_.c_str());  // the new image, which had no old one
      undone = "; the new " + base_of(image.target_) + " was removed with it";
    }
    throw Error(e.code(), e.what() + undone);
  }
  header.committed_ = true;
  if (!keep.empty()) ::unlink(keep.c_str());
}

std::vector<std::string> stale_temporaries(const std::string& folder, std::size_t most) {
  std::vector<std::string> found;
  DIR* dir = ::opendir(folder.c_str());
  if (!dir) return found;
  const std::string me = std::to_string(::getpid());
  while (const dirent* e = ::readdir(dir)) {
    const char* name = e->d_name;
    if (std::strncmp(name, ".respace-", 9) != 0) continue;
    char* end = nullptr;
    const long pid = std::strtol(name + 9, &end, 10);
    if (end == name + 9 || *end != '-' || pid <= 0 || std::to_string(pid) == me) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // still running
    found.push_back(folder + "/" + name);
    if (found.size() >= most) break;
  }
  ::closedir(dir);
  return found;
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
  for (int sig : kTerminating) sigaddset(&sa.sa_mask, sig);  // one handler at a time
  for (int sig : kTerminating) ::sigaction(sig, &sa, nullptr);
  std::signal(SIGXFSZ, SIG_IGN);  // write() fails with EFBIG instead: a message, exit 4
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe fails the write, it does not kill the batch
#ifndef RESPACE_SANITIZED  // the sanitizers report crashes themselves
  struct sigaction crash;
  std::memset(&crash, 0, sizeof crash);
  crash.sa_handler = on_crash_signal;
  crash.sa_flags = SA_RESETHAND | SA_NODEFER;
  sigemptyset(&crash.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS}) ::sigaction(sig, &crash, nullptr);
#endif
}

void write_fully(int fd, const std::string& path, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  while (n > 0) {
    ssize_t put = ::write(fd, p, n);
    if (put < 0) {
      if (errno == EINTR) continue;
      throw Error(ExitCode::bad_output, path + ": write failed: " + std::strerror(errno) +
                                            (errno == EFBIG ? " (the file-size limit, ulimit -f, or the file "
                                                              "system's largest file)"
                                                            : ""));
    }
    p += put;
    n -= static_cast<std::size_t>(put);
  }
}

}  // namespace respace
