#include "actors/replacements.h"

#include <set>

namespace rad {

void Replacements::lost(const std::string& node_id, const std::string& run_id,
                        const std::string& story_id, Clock::time_point now) {
  expire(now);
  if (!stories_.emplace(std::make_pair(run_id, story_id), node_id).second) return;
  auto [it, fresh] = nodes_.try_emplace(node_id);
  if (fresh || it->second.left == 0) it->second = Loss{now, 0, 0};
  ++it->second.total;
  ++it->second.left;
}

std::optional<std::string> Replacements::placed(const std::string& run_id,
                                                const std::string& story_id,
                                                Clock::time_point now) {
  auto it = stories_.find({run_id, story_id});
  if (it == stories_.end()) return std::nullopt;
  auto node_id = std::move(it->second);
  stories_.erase(it);
  return settle(node_id, now);
}

void Replacements::forget_run(const std::string& run_id) {
  for (auto it = stories_.lower_bound({run_id, ""});
       it != stories_.end() && it->first.first == run_id;) {
    auto node_id = it->second;
    it = stories_.erase(it);
    (void)settle(node_id, Clock::now());
  }
}

std::optional<std::string> Replacements::settle(const std::string& node_id, Clock::time_point now) {
  auto node = nodes_.find(node_id);
  if (node == nodes_.end() || --node->second.left > 0) return std::nullopt;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - node->second.since);
  auto line = "node " + node_id + " is down: all " + std::to_string(node->second.total) +
              " of its stories placed again, " + std::to_string(ms.count()) +
              " ms after it was found down";
  nodes_.erase(node);
  return line;
}

void Replacements::expire(Clock::time_point now) {
  std::set<std::string> expired;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (now - it->second.since <= kFollowFor) {
      ++it;
      continue;
    }
    expired.insert(it->first);
    it = nodes_.erase(it);
  }
  if (expired.empty()) return;
  for (auto it = stories_.begin(); it != stories_.end();)
    it = expired.count(it->second) ? stories_.erase(it) : std::next(it);
}

}  // namespace rad
