// SPDX-License-Identifier: MIT
// An output file that appears under its final name only when complete.
//
// The data goes to a temporary file created beside the target (same folder,
// so rename(2) is atomic): ".<name>.respace-XXXXXX". commit() closes it and
// renames it into place; the destructor of an uncommitted file removes it.
// Temporary names are also recorded in a fixed table (kMaxPending entries)
// read by the SIGINT/SIGTERM/SIGHUP handler installed by
// install_cleanup_signal_handlers(), which unlinks them and exits with
// 128 + signal, so Ctrl-C never leaves a partial file behind.
//
// Thread safety: an AtomicFile is used by one thread at a time; the pending
// table is safe against the signal handler (atomic slots).
#pragma once

#include <string>

namespace respace {

class AtomicFile {
public:
  // Creates the temporary file. Throws Error(bad_output) if the folder is not
  // writable.
  explicit AtomicFile(std::string target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const { return fd_; }
  const std::string& target() const { return target_; }
  const std::string& temp_path() const { return temp_; }
  // Closes and renames into place. Throws Error(bad_output) on failure (and
  // then the temporary file is removed by the destructor).
  void commit();

private:
  std::string target_;
  std::string temp_;
  int fd_ = -1;
  int slot_ = -1;
  bool committed_ = false;
};

// A scratch file in `folder` that has no name: created beside the output
// (".respace-<what>-XXXXXX") and unlinked at once, so it vanishes with its
// descriptor whatever happens to the process. path() is where it was.
class ScratchFile {
public:
  // Throws Error(bad_output) if the folder is not writable.
  ScratchFile(const std::string& folder, const std::string& what);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

private:
  int fd_ = -1;
  std::string path_;
};

// The folder of a path: "." for a bare name, "/" for a file at the root.
std::string folder_of(const std::string& path);
// The file name of a path: what follows its last '/'.
std::string base_of(const std::string& path);

constexpr int kMaxPending = 8;

// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove every pending
// temporary file and exit(128 + signal). Call once from main().
void install_cleanup_signal_handlers();

// A terminal line that such a signal should end with a newline before the
// process exits (the progress bar's, cli/progress.hpp), or -1 for none.
void set_open_line(int fd);

}  // namespace respace
