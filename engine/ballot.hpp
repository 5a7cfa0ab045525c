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
  std::vector<std::pair<T, double>> pairs, merged;

  void clear() { pairs.clear(); }
  void add(T label, double w) {
    if (w != 0.0) pairs.emplace_back(label, w);
  }
  bool empty() const { return pairs.empty(); }

  T winner() {
    merged.clear();
    if (pairs.size() <= 48) {  // few: merge in place, in order of first appearance
      for (const auto& [l, w] : pairs) {
        auto it = std::find_if(merged.begin(), merged.end(), [&](const auto& e) { return e.first == l; });
        if (it == merged.end()) merged.emplace_back(l, w);
        else it->second += w;
      }
    } else {  // many: a stable sort keeps each label's weights in tap order
      std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
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
