// SPDX-License-Identifier: MIT
// An output file that appears under its final name only when complete.
//
// The data goes to a temporary file created beside the target (same folder,
// so rename(2) is atomic): ".respace-<pid>-XXXXXX", short whatever the
// target's name (a 255-character output name still has room), and carrying
// the writer's pid so that a later run can tell a file left by a killed run
// from one being written now (stale_temporaries()). commit() closes it and
// moves it into place: without `replace` by renameat2(RENAME_NOREPLACE) (or
// link(2) where the file system lacks it), so an output that appeared while
// respace ran is never replaced and two concurrent runs never both succeed;
// commit_pair() commits a .hdr/.img pair so that it is never left mixed.
// The destructor of an uncommitted file removes it.
//
// Temporary names are also recorded in a fixed table (kMaxPending entries)
// read by the handler install_cleanup_signal_handlers() puts on every
// catchable terminating signal, which unlinks them and exits with
// 128 + signal, so Ctrl-C, kill, SIGQUIT or SIGUSR1 never leave a partial
// file behind. SIGXFSZ and SIGPIPE are ignored, so a file-size limit
// (ulimit -f) becomes a write error with its own message, and a closed
// standard output no longer kills a batch.
//
// Thread safety: an AtomicFile is used by one thread at a time; the pending
// table is safe against the signal handler (atomic slots).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

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
  // Closes and moves into place; an existing target is replaced only with
  // `replace` (--force). Throws Error(bad_output) on failure, naming the
  // target when it appeared meanwhile (the destructor then removes the
  // temporary file).
  void commit(bool replace);

private:
  friend void commit_pair(AtomicFile& image, AtomicFile& header, bool replace);
  void close_for_commit();

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

// Commits a .hdr/.img pair, with the catchable signals held off meanwhile:
// the image first, then the header. When the header cannot be put in place,
// the image is undone (the one that was there before is put back, kept as a
// hard link until then), so the pair is the old one or the new one, never
// the new image beside the old header.
void commit_pair(AtomicFile& image, AtomicFile& header, bool replace);

// Temporary files in `folder` that respace runs no longer running on this
// machine left behind (a run killed by SIGKILL cannot remove its own): at
// most `most` paths.
std::vector<std::string> stale_temporaries(const std::string& folder, std::size_t most = 8);

// True when something has this name, even a dangling symbolic link: an
// output name that --force alone may replace (lstat).
bool name_taken(const std::string& path);
// True when the path leads to a file or folder, links followed (stat): an
// --output-dir that is there, an output --skip-existing counts as done.
bool path_exists(const std::string& path);

// The folder of a path: "." for a bare name, "/" for a file at the root.
std::string folder_of(const std::string& path);
// The file name of a path: what follows its last '/'.
std::string base_of(const std::string& path);

constexpr int kMaxPending = 8;

// Installs handlers for every catchable terminating signal (SIGINT, SIGTERM,
// SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU,
// SIGPOLL, SIGPWR) that remove every pending temporary file and
// _exit(128 + signal); ignores SIGXFSZ and SIGPIPE; and, outside sanitizer
// builds, removes the temporary files on a crash signal before dying of it.
// Call once from main().
void install_cleanup_signal_handlers();

// A terminal line that such a signal should end with a newline before the
// process exits (the progress bar's, cli/progress.hpp), or -1 for none.
void set_open_line(int fd);

// Writes all n bytes to fd, or throws Error(bad_output) naming `path` (and
// the file-size limit when that is what stopped it).
void write_fully(int fd, const std::string& path, const void* data, std::size_t n);

}  // namespace respace
