// SPDX-License-Identifier: MIT
#include "cli/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli/options.hpp"
#include "io/atomic_file.hpp"

namespace respace {
namespace {

std::string clock_time(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

void write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;  // a terminal that went away: progress is not worth an error
    off += static_cast<std::size_t>(n);
  }
}

constexpr std::size_t kColumns = 79;  // the line never wraps on an 80-column terminal

}  // namespace

bool progress_wanted(const Options& o) { return !o.quiet && !o.dry_run && ::isatty(STDERR_FILENO) == 1; }


std::string progress_line(const std::string& label, std::uint64_t done, std::uint64_t total, double seconds,
                          bool final) {
  done = std::min(done, total);
  int percent = 100;
  if (!final) percent = total == 0 ? 0 : std::min(99, static_cast<int>(static_cast<double>(done) * 100 / static_cast<double>(total)));
  std::string tail = std::to_string(percent) + "%";
  tail.insert(0, 4 - std::min<std::size_t>(4, tail.size()), ' ');  // "  7%", " 42%", "100%"
  tail += "  " + format_bytes(final ? total : done) + " / " + format_bytes(total) + "  ";
  if (final) tail += "in " + clock_time(seconds);
  else if (done == 0 || seconds < 1) tail += "ETA --";
  else tail += "ETA " + clock_time(seconds * static_cast<double>(total - done) / static_cast<double>(done));
  if (label.empty()) return tail;
  const std::size_t room = kColumns > tail.size() + 2 ? kColumns - tail.size() - 2 : 0;
  std::string head = label;
  if (head.size() > room) head = room > 3 ? "..." + head.substr(head.size() - (room - 3)) : "";
  return head + "  " + tail;
}

Progress::Progress(std::string label, std::uint64_t total, int fd) : label_(std::move(label)), total_(total), fd_(fd) {}

Progress::~Progress() {
  stop();
  if (!ended_ && width_ > 0) write_all(fd_, "\r" + std::string(width_, ' ') + "\r");
  set_open_line(-1);
}

std::unique_ptr<ByteSource> Progress::watch(std::unique_ptr<ByteSource> in) {
  start_ = std::chrono::steady_clock::now();
  reporter_ = std::thread([this] { report_loop(); });
  return watched_source(std::move(in), [this](const unsigned char*, std::size_t n) {
    done_.fetch_add(n, std::memory_order_relaxed);
  });
}

void Progress::done() {
  stop();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  draw(progress_line(label_, total_, total_, seconds, true));
  write_all(fd_, "\n");
  set_open_line(-1);
  ended_ = true;
}

void Progress::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (reporter_.joinable()) reporter_.join();
}

void Progress::report_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, kRedrawInterval, [this] { return stopping_; })) {
    lock.unlock();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    draw(progress_line(label_, done_.load(std::memory_order_relaxed), total_, seconds, false));
    lock.lock();
  }
}

void Progress::draw(const std::string& line) {
  // Pad over what a longer previous line left, then remember this width.
  std::string out = "\r" + line;
  if (line.size() < width_) out += std::string(width_ - line.size(), ' ');
  write_all(fd_, out);
  set_open_line(fd_);  // Ctrl-C now ends this line (io/atomic_file.hpp)
  width_ = line.size();
}

}  // namespace respace
