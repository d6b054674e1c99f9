// The stories a lost node had, followed until each is placed again: the
// coordinator says when the last one is, and how long after the loss. Used by
// the Dispatcher; what it logs is how an operator (and rad-bench-detection
// --under-load) sees that a node's work has moved.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace rad {

class Replacements {
 public:
  using Clock = std::chrono::steady_clock;
  // How long a loss is followed. A story of a run that ended without placing
  // it again (it was out of attempts, or not idempotent) is never placed: the
  // next loss drops the losses older than this, with their stories, so what
  // is followed is bounded by the losses of the last kFollowFor, not by all
  // the runs that ever lost a node.
  static constexpr auto kFollowFor = std::chrono::minutes{10};

  // `node_id` went down with these stories (run id, story id) placed on it;
  // one already followed keeps its first loss.
  void lost(const std::string& node_id, const std::string& run_id, const std::string& story_id,
            Clock::time_point now);

  // A node accepted an attempt of the story. When it was the last followed
  // story of its lost node: the line to log.
  std::optional<std::string> placed(const std::string& run_id, const std::string& story_id,
                                    Clock::time_point now);

  // The run was cancelled: its stories are not placed again.
  void forget_run(const std::string& run_id);

  bool empty() const { return stories_.empty(); }
  // Stories followed.
  size_t size() const { return stories_.size(); }

 private:
  struct Loss {
    Clock::time_point since;
    size_t total = 0, left = 0;
  };
  std::map<std::pair<std::string, std::string>, std::string> stories_;  // -> node id
  std::map<std::string, Loss> nodes_;
  // Drops the node's loss once nothing of it is followed any more.
  std::optional<std::string> settle(const std::string& node_id, Clock::time_point now);
  // Drops the losses older than kFollowFor, and their stories.
  void expire(Clock::time_point now);
};

}  // namespace rad
