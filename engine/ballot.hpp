// SPDX-License-Identifier: MIT
// The vote of one output voxel of a label map (engine/label_vote.hpp,
// engine/general_vote.hpp): (label, weight) pairs added in tap order,
// merged by label with each label's weights summed in that order, and the
// heaviest label returned, ties to the lowest. A tie is a weight within
// kTie of the heaviest: sums equal in exact arithmetic may differ in their
// last bits with the order of the additions (a voxel's weights sum to 1;
// rounding leaves about 1e-16 a tap).
//
// Thread safety: one Ballot per thread.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

namespace respace {

constexpr double kTie = 1e-12;

template <class T>
struct Ballot {
  // Few labels (the usual case: a footprint covers one to a few regions):
  // summed as they come into `merged`. Past kFew distinct labels, the rest
  // are collected in `pairs` and merged at the end by a stable sort, so
  // each label's weights are still summed in the order they came.
  static constexpr std::size_t kFew = 32;
  std::vector<std::pair<T, double>> pairs, merged;
  std::size_t last = 0;  // where the last label was found in `merged`

  void clear() {
    pairs.clear();
    merged.clear();
    last = 0;
  }
  bool empty() const { return pairs.empty() && merged.empty(); }

  void add(T label, double w) {
    if (w == 0.0) return;
    if (!pairs.empty()) {
      pairs.emplace_back(label, w);
      return;
    }
    if (last < merged.size() && merged[last].first == label) {
      merged[last].second += w;
      return;
    }
    for (std::size_t i = 0; i < merged.size(); ++i)
      if (merged[i].first == label) {
        merged[i].second += w;
        last = i;
        return;
      }
    if (merged.size() < kFew) {
      last = merged.size();
      merged.emplace_back(label, w);
      return;
    }
    pairs = merged;  // many labels: collect from here on
    pairs.emplace_back(label, w);
  }

  T winner() {
    if (!pairs.empty()) {
      std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      merged.clear();
      for (const auto& [l, w] : pairs) {
        if (!merged.empty() && merged.back().first == l) merged.back().second += w;
        else merged.emplace_back(l, w);
      }
    }
    double top = merged.front().second;
    for (const auto& e : merged) top = std::max(top, e.second);
    bool any = false;
    T best{};
    for (const auto& [l, w] : merged)
      if (w >= top - kTie && (!any || l < best)) best = l, any = true;
    return best;
  }
};

}  // namespace respace
