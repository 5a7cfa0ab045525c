// SPDX-License-Identifier: MIT
// The progress bar (issue 7): nothing on stderr unless it is a terminal;
// on a pseudo-terminal (forkpty) a bar redrawn with \r that ends at 100%,
// "[i/n] name" in a batch, and a cleared line before an error. The line
// format and the reporter thread are also tested in-process on a pipe.
#include <gtest/gtest.h>

#include <pty.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/progress.hpp"
#include "cli_fixture.hpp"

namespace respace {
namespace {

namespace fs = std::filesystem;
using testing::ChildResult;
using testing::run_child;

struct PtyResult {
  int exit_code = -1;
  std::string screen;  // everything the child wrote to its terminal (stdout and stderr)
};

// Whether this machine can open a pseudo-terminal at all (some containers
// and chroots have no /dev/pts): the terminal tests skip, saying so, when not.
bool pty_available() {
  int master = -1, slave = -1;
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) return false;
  ::close(master);
  ::close(slave);
  return true;
}
#define REQUIRE_PTY() \
  if (!pty_available()) GTEST_SKIP() << "no pseudo-terminal could be opened (openpty: " << std::strerror(errno) << ")"

// With `interrupt`, SIGINT goes to the child once it has drawn a bar frame.
PtyResult run_in_pty(const std::vector<std::string>& argv, bool interrupt = false) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  PtyResult r;
  if (pid < 0) return r;
  char buf[4096];
  for (;;) {  // until EIO: the child's side of the terminal is closed
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.screen.append(buf, static_cast<std::size_t>(n));
    if (interrupt && r.screen.find("%  ") != std::string::npos) {
      ::kill(pid, SIGINT);
      interrupt = false;
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// The bar's frames: each text that follows a lone \r (a terminal turns \n
// into \r\n, which is no redraw), up to the next \r or \n, trailing blanks cut.
std::vector<std::string> frames(const std::string& screen) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < screen.size(); ++i) {
    if (screen[i] != '\r' || (i + 1 < screen.size() && screen[i + 1] == '\n')) continue;
    const std::size_t end = screen.find_first_of("\r\n", i + 1);
    std::string f = screen.substr(i + 1, (end == std::string::npos ? screen.size() : end) - i - 1);
    f.erase(f.find_last_not_of(' ') + 1);
    v.push_back(f);
  }
  return v;
}

// The number before the first "%  " (std::regex is avoided: GCC 12 warns
// inside it under the sanitizers); -1 when there is none.
int percent_of(const std::string& frame) {
  const std::size_t pct = frame.find("%  ");
  if (pct == std::string::npos) return -1;
  std::size_t begin = pct;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(frame[begin - 1]))) --begin;
  return begin == pct || pct - begin > 3 ? -1 : std::stoi(frame.substr(begin, pct - begin));
}

class ProgressCli : public testing::CliFixture {
protected:
  // A job of one or two seconds (54 MiB of float32 to twice the planes, one
  // thread, zlib level 1), long enough for several redraws.
  std::vector<std::string> slow_job(const std::string& in, const std::string& out) {
    return {RESPACE_BIN, file(in), file(out), "--z-spacing", "0.05", "--threads", "1", "--gzip-engine", "zlib",
            "--compression-level", "1"};
  }
};

TEST_F(ProgressCli, TerminalShowsABarThatEndsAt100) {
  REQUIRE_PTY();
  make_volume("big.nii.gz", 384, 384, 96);
  const PtyResult r = run_in_pty(slow_job("big.nii.gz", "out.nii.gz"));
  ASSERT_EQ(r.exit_code, 0) << r.screen;
  const auto f = frames(r.screen);
  ASSERT_GE(f.size(), 2u) << "at least one redraw and the final line:\n" << r.screen;
  int last = -1;
  for (std::size_t i = 0; i + 1 < f.size(); ++i) {
    const int p = percent_of(f[i]);
    EXPECT_GE(p, last) << f[i];
    EXPECT_LT(p, 100) << "only the final line says 100%: " << f[i];
    EXPECT_NE(f[i].find("/ 54.0 MiB  ETA "), std::string::npos) << f[i];
    last = p;
  }
  EXPECT_EQ(f.back().rfind("100%  54.0 MiB / 54.0 MiB  in 0:", 0), 0u) << f.back();
  // The final line ends with a newline, and the report follows on its own line.
  const std::size_t end = r.screen.find_first_not_of(' ', r.screen.rfind(f.back()) + f.back().size());
  EXPECT_EQ(r.screen.compare(end, 7, "\r\nDone:"), 0) << r.screen;
}

TEST_F(ProgressCli, BatchBarsNameTheJob) {
  REQUIRE_PTY();
  make_volume("a.nii.gz", 24, 20, 30);
  make_volume("b.nii.gz", 24, 20, 30);
  std::ofstream(file("jobs.txt")) << file("a.nii.gz") << " " << file("a_out.nii.gz") << "\n"
                                  << file("b.nii.gz") << " " << file("b_out.nii") << " --order 3\n";
  const PtyResult r = run_in_pty({RESPACE_BIN, "--manifest", file("jobs.txt"), "--spacing", "0.15", "0.15", "0.15"});
  ASSERT_EQ(r.exit_code, 0) << r.screen;
  const auto f = frames(r.screen);
  ASSERT_GE(f.size(), 2u) << r.screen;
  EXPECT_EQ(f[f.size() - 2].rfind("[1/2] a.nii.gz  100%  ", 0), 0u) << r.screen;
  EXPECT_EQ(f.back().rfind("[2/2] b.nii.gz  100%  ", 0), 0u) << r.screen;
}

TEST_F(ProgressCli, PipesAndQuietGetNoBar) {
  REQUIRE_PTY();
  make_volume("big.nii.gz", 384, 384, 96);
  std::vector<std::string> args = slow_job("big.nii.gz", "out.nii.gz");
  const ChildResult piped = run_child(args);  // stdout and stderr are files
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.err.find('\r'), std::string::npos);
  EXPECT_EQ(piped.err.find('%'), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err, "");

  args.push_back("--force");
  args.push_back("--quiet");
  const PtyResult quiet = run_in_pty(args);
  ASSERT_EQ(quiet.exit_code, 0) << quiet.screen;
  EXPECT_EQ(quiet.screen, "") << "--quiet on a terminal: nothing at all";
}

TEST_F(ProgressCli, FailureClearsTheLineBeforeTheError) {
  REQUIRE_PTY();
  make_volume("big.nii.gz", 384, 384, 96);
  fs::resize_file(file("big.nii.gz"), fs::file_size(file("big.nii.gz")) * 3 / 4);
  const PtyResult r = run_in_pty(slow_job("big.nii.gz", "out.nii.gz"));
  EXPECT_EQ(r.exit_code, 3) << r.screen;
  for (const std::string& f : frames(r.screen)) EXPECT_EQ(f.find("100%"), std::string::npos) << f;
  const std::size_t at = r.screen.find("respace: " + file("big.nii.gz"));
  ASSERT_NE(at, std::string::npos) << r.screen;
  ASSERT_GT(at, 0u);
  // The error starts a line: after a newline, or after the bar was blanked out.
  const char before = r.screen[at - 1];
  EXPECT_TRUE(before == '\n' || before == '\r') << r.screen;
  if (before == '\r') {
    const std::size_t prev = r.screen.rfind('\r', at - 2);
    ASSERT_NE(prev, std::string::npos);
    const std::string blank = r.screen.substr(prev + 1, at - 1 - prev - 1);
    EXPECT_EQ(blank.find_first_not_of(' '), std::string::npos) << "cleared with blanks: [" << blank << "]";
  }
  EXPECT_FALSE(fs::exists(file("out.nii.gz")));
}

// Ctrl-C mid-bar: the output is removed and the bar's line is ended, so the
// shell's prompt starts on a line of its own.
TEST_F(ProgressCli, InterruptEndsTheLine) {
  REQUIRE_PTY();
  make_volume("big.nii.gz", 384, 384, 96);
  const PtyResult r = run_in_pty(slow_job("big.nii.gz", "out.nii.gz"), true);
  EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.screen;
  ASSERT_FALSE(frames(r.screen).empty()) << r.screen;
  ASSERT_GE(r.screen.size(), 2u);
  EXPECT_EQ(r.screen.substr(r.screen.size() - 2), "\r\n") << r.screen;  // the terminal's \n
  EXPECT_EQ(entries(), std::vector<std::string>{"big.nii.gz"});
}

TEST(ProgressLine, Format) {
  const std::uint64_t total = std::uint64_t{4} << 30;
  EXPECT_EQ(progress_line("", 0, total, 0, false), "  0%  0 B / 4.00 GiB  ETA --");
  EXPECT_EQ(progress_line("", total / 4, total, 10, false), " 25%  1.00 GiB / 4.00 GiB  ETA 0:30");
  EXPECT_EQ(progress_line("", total, total, 3725, false), " 99%  4.00 GiB / 4.00 GiB  ETA 0:00")
      << "all read is not yet done";
  EXPECT_EQ(progress_line("[2/9] a.nii.gz", total, total, 3725, true), "[2/9] a.nii.gz  100%  4.00 GiB / 4.00 GiB  in 1:02:05");
  EXPECT_EQ(progress_line("", std::uint64_t{2} << 20, std::uint64_t{100} << 20, 0.5, false), "  2%  2.0 MiB / 100.0 MiB  ETA --") << "under a second";
  const std::string long_label = "[12/300] " + std::string(200, 'x') + "_tail.nii.gz";
  const std::string line = progress_line(long_label, total / 2, total, 100, false);
  EXPECT_LE(line.size(), 79u);
  EXPECT_EQ(line.rfind("...", 0), 0u) << line;
  EXPECT_NE(line.find("x_tail.nii.gz   50%  2.00 GiB / 4.00 GiB  ETA 1:40"), std::string::npos) << line;
}

// An input of `blocks` reads of 4096 bytes, each after `ms` milliseconds.
class SlowSource final : public ByteSource {
public:
  explicit SlowSource(int ms) : ms_(ms) {}
  void read_exact(void* dst, std::size_t n) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms_));
    std::memset(dst, 0, n);
  }
  void finish() override {}
  std::uint64_t file_bytes_read() const override { return 0; }
  bool is_gzip() const override { return false; }

private:
  int ms_;
};

std::string drain(int fd) {
  std::string s;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) s.append(buf, static_cast<std::size_t>(n));
  return s;
}

TEST(ProgressReporter, RedrawsThenEndsAt100WithANewline) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    Progress p("job", 40 * 4096, fds[1]);
    std::unique_ptr<ByteSource> in = p.watch(std::make_unique<SlowSource>(25));  // about 1 s in all
    std::vector<char> buf(4096);
    for (int i = 0; i < 40; ++i) in->read_exact(buf.data(), buf.size());
    p.done();
  }
  ::close(fds[1]);
  const std::string out = drain(fds[0]);
  ::close(fds[0]);
  const auto f = frames(out);
  ASSERT_GE(f.size(), 3u) << out;  // about 4 redraws at 250 ms, and the final line
  EXPECT_GT(percent_of(f[f.size() - 2]), 0) << f[f.size() - 2];
  EXPECT_EQ(f.back().rfind("job  100%  160.0 KiB / 160.0 KiB  in 0:01", 0), 0u) << f.back();
  EXPECT_EQ(out.back(), '\n');
}

TEST(ProgressReporter, AbandonedBarIsCleared) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    Progress p("job", 100 * 4096, fds[1]);
    std::unique_ptr<ByteSource> in = p.watch(std::make_unique<SlowSource>(1));
    std::vector<char> buf(4096);
    in->read_exact(buf.data(), buf.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // at least one frame
  }  // a job that threw: no done()
  ::close(fds[1]);
  const std::string out = drain(fds[0]);
  ::close(fds[0]);
  ASSERT_GE(out.size(), 3u);
  EXPECT_EQ(out.find("100%"), std::string::npos) << out;
  EXPECT_EQ(out.find('\n'), std::string::npos) << out;
  const std::size_t last = out.rfind('\r', out.size() - 2);
  ASSERT_NE(last, std::string::npos);
  EXPECT_EQ(out.back(), '\r');
  EXPECT_EQ(out.substr(last + 1, out.size() - last - 2).find_first_not_of(' '), std::string::npos)
      << "the line is blanked: [" << out << "]";
}

}  // namespace
}  // namespace respace
