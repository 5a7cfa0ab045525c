// SPDX-License-Identifier: MIT
// Runs a program as a child process and reports its exit code, its output
// and its peak resident memory (wait4's ru_maxrss: the child's own figure).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace respace::testing {

struct ChildResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out, err;
  std::uint64_t peak_rss = 0;  // bytes
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// kill_after_ms > 0: send SIGTERM after that long.
inline ChildResult run_child(const std::vector<std::string>& argv, int kill_after_ms = 0) {
  char out_tmpl[] = "/tmp/respace-child-out-XXXXXX", err_tmpl[] = "/tmp/respace-child-err-XXXXXX";
  int out_fd = ::mkstemp(out_tmpl), err_fd = ::mkstemp(err_tmpl);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  if (kill_after_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
    ::kill(pid, SIGTERM);
  }
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  ChildResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.peak_rss = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
  ::close(out_fd);
  ::close(err_fd);
  r.out = slurp(out_tmpl);
  r.err = slurp(err_tmpl);
  ::unlink(out_tmpl);
  ::unlink(err_tmpl);
  return r;
}

}  // namespace respace::testing
