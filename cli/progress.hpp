// SPDX-License-Identifier: MIT
// The progress bar (SPEC §8): one line on stderr, redrawn with \r every
// kRedrawInterval, only when stderr is a terminal and not --quiet, so that
// scripts, pipes and CI logs get nothing.
//
//   [3/5] brain.nii.gz   42%  1.2 GiB / 2.9 GiB  ETA 0:31
//
// Progress is the voxel data the pipeline has taken from the input
// (decoded bytes; total = InputVolume::data_bytes()), counted by a wrapper
// around the job's ByteSource, so engine/ knows nothing of it. The estimate
// is elapsed × remaining / done. Reading runs up to the read-ahead queue
// (8 MiB) ahead of the output and the last output blocks are still written
// after the last byte is read, so the bar shows at most 99% until done()
// draws the final line at exactly 100% and ends it with a newline. A job
// that fails clears the line instead, so its error starts a clean line.
//
// Threads: one reporter thread per Progress, started by watch(), woken by a
// condition variable every kRedrawInterval (or at once to stop) and joined
// by done() or the destructor. The counter is one relaxed atomic, added to
// by whichever thread reads the input. Memory: the line, under 100 bytes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "io/byte_size.hpp"
#include "io/byte_source.hpp"

namespace respace {

struct Options;

constexpr std::chrono::milliseconds kRedrawInterval{250};

// True when a bar is wanted: stderr is a terminal, not --quiet, a real run.
bool progress_wanted(const Options& o);

// One bar line (no \r): the label, the percentage, bytes done / total, and
// the estimated time left ("ETA m:ss", or "ETA --" before there is enough
// to go on); `final` gives "100%" and the time taken instead. Pure; kept
// under 80 columns by shortening the label from the left.
std::string progress_line(const std::string& label, std::uint64_t done, std::uint64_t total, double seconds,
                          bool final);

class Progress final : public SourceWatch {
public:
  // Draws nothing until watch(). `fd` is where the line goes (stderr).
  Progress(std::string label, std::uint64_t total, int fd = 2);
  // Stops and joins the reporter; clears the line unless done() ended it.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Wraps the job's input to count the bytes taken from it and starts the
  // reporter. Call once; this Progress must outlive the returned source.
  std::unique_ptr<ByteSource> watch(std::unique_ptr<ByteSource> in) override;
  // The job is complete: stops the reporter, draws the 100% line and a newline.
  void done();

private:
  void report_loop();
  void stop();
  void draw(const std::string& line);

  const std::string label_;
  const std::uint64_t total_;
  const int fd_;
  std::atomic<std::uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  bool ended_ = false;     // done() drew the final line
  std::size_t width_ = 0;  // columns of the line on screen (reporter thread, then the owner after join)
  std::thread reporter_;
};

}  // namespace respace
