// SPDX-License-Identifier: MIT
// io/atomic_file: temporary files removed unless committed, no replace without --force,
// short temporary names, pairs never mixed, stale temporaries found.
#include <fcntl.h>
#include <sys/wait.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "io/atomic_file.hpp"
#include "io/error.hpp"
#include "io_fixture.hpp"

namespace respace {
namespace {

using namespace io_test;
namespace fs = std::filesystem;

TEST(AtomicFile, RemovedUnlessCommitted) {
  TempDir d;
  {
    AtomicFile f(d.file("out.nii"));
    ASSERT_EQ(::write(f.fd(), "abc", 3), 3);
    EXPECT_TRUE(fs::exists(f.temp_path()));
    EXPECT_FALSE(fs::exists(d.file("out.nii")));
  }
  EXPECT_EQ(d.entries(), 0u) << "no temporary file left behind";
  {
    AtomicFile f(d.file("out.nii"));
    ASSERT_EQ(::write(f.fd(), "abc", 3), 3);
    f.commit(false);
  }
  EXPECT_EQ(fs::file_size(d.file("out.nii")), 3u);
  EXPECT_EQ(d.entries(), 1u);
  EXPECT_THROW(AtomicFile("/nonexistent-folder/x.nii"), Error);
}

// Without --force a file that appears at the target while respace writes is
// kept and the commit fails; with it, it is replaced.
TEST(AtomicFile, NeverReplacesWithoutForce) {
  TempDir d;
  {
    AtomicFile f(d.file("out.nii"));
    ASSERT_EQ(::write(f.fd(), "new", 3), 3);
    spit(d.file("out.nii"), "other run");
    try {
      f.commit(false);
      FAIL() << "replaced a file that appeared";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_output);
      EXPECT_NE(std::string(e.what()).find("appeared"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(slurp(d.file("out.nii")), "other run");
  EXPECT_EQ(d.entries(), 1u) << "the temporary file is gone";
  {
    AtomicFile f(d.file("out.nii"));
    ASSERT_EQ(::write(f.fd(), "new", 3), 3);
    f.commit(true);
  }
  EXPECT_EQ(slurp(d.file("out.nii")), "new");
}

// A 255-character output name still leaves room for the temporary name.
TEST(AtomicFile, TemporaryNameIsShort) {
  TempDir d;
  const std::string name = d.file(std::string(248, 'o') + ".nii.gz");
  AtomicFile f(name);
  EXPECT_LT(base_of(f.temp_path()).size(), 40u) << f.temp_path();
  f.commit(false);
  EXPECT_TRUE(fs::exists(name));
}

// A pair whose header cannot be put in place (the .hdr is now a folder)
// leaves the old image where it was, with --force and without.
TEST(AtomicFile, PairIsNeverLeftMixed) {
  TempDir d;
  for (bool replace : {true, false}) {
    spit(d.file("p.img"), "old image");
    fs::remove_all(d.file("p.hdr"));
    {
      AtomicFile img(d.file(replace ? "p.img" : "q.img")), hdr(d.file(replace ? "p.hdr" : "q.hdr"));
      ASSERT_EQ(::write(img.fd(), "new image", 9), 9);
      fs::create_directories(d.file(replace ? "p.hdr/x" : "q.hdr/x"));
      EXPECT_THROW(commit_pair(img, hdr, replace), Error);
    }
    EXPECT_EQ(slurp(d.file("p.img")), "old image");
    EXPECT_FALSE(fs::exists(d.file("q.img"))) << "the new image is undone when it had no old one";
    for (const auto& e : fs::directory_iterator(d.path()))
      EXPECT_NE(e.path().filename().string().rfind(".respace", 0), 0u) << e.path();
    fs::remove_all(d.file("q.hdr"));
  }
  {  // and the pair commits whole when nothing is in the way
    AtomicFile img(d.file("p.img")), hdr(d.file("p.hdr"));
    fs::remove_all(d.file("p.hdr"));
    ASSERT_EQ(::write(img.fd(), "new image", 9), 9);
    ASSERT_EQ(::write(hdr.fd(), "new header", 10), 10);
    commit_pair(img, hdr, true);
  }
  EXPECT_EQ(slurp(d.file("p.img")), "new image");
  EXPECT_EQ(slurp(d.file("p.hdr")), "new header");
}

// Temporary names of processes that are gone are reported; this process's
// own and a running one's are not.
TEST(AtomicFile, StaleTemporariesAreFound) {
  TempDir d;
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // a pid that is no longer running
  spit(d.file(".respace-" + std::to_string(child) + "-abcdef"), "left");
  spit(d.file(".respace-" + std::to_string(::getppid()) + "-abcdef"), "running");
  AtomicFile mine(d.file("out.nii"));
  const auto stale = stale_temporaries(d.path());
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_NE(stale[0].find(".respace-" + std::to_string(child) + "-abcdef"), std::string::npos);
}

}  // namespace
}  // namespace respace
