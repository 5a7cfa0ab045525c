// SPDX-License-Identifier: MIT
// The voxels of each label, counted while the label votes stream
// (engine/label_vote.hpp, engine/general_vote.hpp): every input plane as it
// is read, every output block as it is written. Rows are walked as runs of
// equal labels (label maps are piecewise constant), so the map is touched
// once a run, not once a voxel.
//
// Bounded: at most kMaxCountedLabels distinct labels are counted; past
// them the counts stop (`complete` false) and the report says so, so a
// volume of millions of distinct values (not a label map) cannot grow the
// map without bound. The planner counts kLabelCountBytes for it.
//
// Thread safety: one writer (the serial read and write steps).
#pragma once

#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace respace {

constexpr std::size_t kMaxCountedLabels = std::size_t{1} << 16;
constexpr std::uint64_t kLabelCountBytes = kMaxCountedLabels * 64;  // a map node, the label, two counts

// One label's voxels in and out; the label exactly, as text (a uint64 ID
// past 2^53 stays exact).
struct LabelCount {
  std::string label;
  std::uint64_t in = 0, out = 0;
};

struct LabelStats {
  bool complete = true;  // every distinct label counted
  std::vector<LabelCount> labels;  // ascending by label
};

template <class T>
class LabelCounts {
public:
  // `values` labels in rows of `row` (the last row may be shorter).
  void count(const T* values, std::size_t n, bool output) {
    std::size_t i = 0;
    while (i < n) {
      const T l = values[i];
      std::size_t j = i + 1;
      while (j < n && values[j] == l) ++j;
      add(l, j - i, output);
      i = j;
    }
  }

  LabelStats stats() const {
    std::vector<std::pair<T, std::pair<std::uint64_t, std::uint64_t>>> sorted(counts_.begin(), counts_.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    LabelStats s;
    s.complete = complete_;
    for (const auto& [l, c] : sorted) s.labels.push_back({text(l), c.first, c.second});
    return s;
  }

private:
  void add(T label, std::size_t voxels, bool output) {
    auto it = counts_.find(label);
    if (it == counts_.end()) {
      if (counts_.size() >= kMaxCountedLabels) {
        complete_ = false;
        return;
      }
      it = counts_.emplace(label, std::pair<std::uint64_t, std::uint64_t>{0, 0}).first;
    }
    (output ? it->second.second : it->second.first) += voxels;
  }

  static std::string text(T l) {
    if constexpr (std::is_floating_point_v<T>) {
      char b[40];
      std::snprintf(b, sizeof b, "%.17g", static_cast<double>(l));
      return b;
    } else {
      return std::to_string(l);
    }
  }

  // Hashed: a run costs one lookup, not a walk down a tree (the reader
  // counts every input plane on its serial path).
  std::unordered_map<T, std::pair<std::uint64_t, std::uint64_t>> counts_;
  bool complete_ = true;
};

}  // namespace respace
