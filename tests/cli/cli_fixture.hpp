// SPDX-License-Identifier: MIT
// The fixture of the tests that run the real `respace` binary: a fresh
// folder per test (removed afterwards), volumes made by respace_make_volume,
// and respace run as a child process (run_child.hpp).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "run_child.hpp"

namespace respace::testing {

class CliFixture : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/respace-cli-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  // The folder's entries, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> v;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
  }
  void make_volume(const std::string& name, int nx, int ny, int nz, const std::string& dtype = "float32") {
    ChildResult r = run_child({RESPACE_MAKE_VOLUME, file(name), std::to_string(nx), std::to_string(ny),
                               std::to_string(nz), "--datatype", dtype});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ChildResult respace(std::vector<std::string> args) {
    args.insert(args.begin(), RESPACE_BIN);
    return run_child(args);
  }

  std::filesystem::path dir_;
};

}  // namespace respace::testing
