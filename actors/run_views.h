// The runs' published views: what GET /v1/runs and GET /v1/runs/ID answer
// from, without a request to the Supervisor or to a (busy) Run actor.
//
// The Supervisor adds a run when it makes or restores it, publishes its final
// status when it ends and forgets it with the status it forgets. In between,
// the Run actor publishes snapshots of its status, and only durable ones: a
// snapshot is published once the checkpoint writes sent before it are
// acknowledged, so a view never shows what a crash would take back.
//
// Two snapshots per run (the cost of a 1,000,000-story run decides):
//   summary  counts per run and wave, no stories: cheap, published at most
//            every 50 ms (longer if building it costs more than 5% of the
//            actor's time) and whenever the run's state changes;
//   stories  the same with every story: built with each summary for runs of up
//            to kEagerStories stories; for larger ones only while someone asked
//            for stories within the last minute (want_stories()), at most every
//            second (or 20 times its build time), as a full list costs seconds
//            and hundreds of MB at a million stories.
// All methods are thread-safe; readers get shared_ptrs to immutable messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "rad/v1/run.pb.h"

namespace rad {

// Runs up to this many stories publish their stories with every summary.
inline constexpr size_t kEagerStories = 10000;

// Whether a run's stories, once it ended, are read from the checkpoint store
// rather than kept in memory: those of a large run, when there is a store.
// A finished run of a million stories would otherwise hold its ~200 MB of
// stories (twice: the Supervisor's and the view) for as long as it is
// remembered.
inline bool final_stories_in_store(size_t stories, bool has_store) {
  return has_store && stories > kEagerStories;
}

class RunViews {
 public:
  using Clock = std::chrono::steady_clock;
  using Snapshot = std::shared_ptr<const v1::RunStatus>;

  struct View {
    uint64_t seq = 0;  // submission order: the list is newest first
    std::string plan_name;
    Snapshot summary;  // null until the run's first durable snapshot
    Snapshot stories;  // null until built (see above)
    bool final = false;
    // Ended before this process: its stories are in the checkpoint store only.
    bool from_store = false;
  };

  // A run the Supervisor holds, not yet published.
  void add(const std::string& run_id, uint64_t seq, std::string plan_name, bool from_store = false);

  // A Run actor's durable snapshot; `stories` null keeps the last one. Ignored
  // once the run is final or forgotten (a late snapshot never undoes its end).
  void publish(const std::string& run_id, Snapshot summary, Snapshot stories);

  // The run's end, from the Supervisor: `status` with its stories, or without
  // them when they are in the store only (`stories_in_store`).
  void publish_final(const std::string& run_id, v1::RunStatus status, bool stories_in_store);

  void forget(const std::string& run_id);

  std::optional<View> find(const std::string& run_id) const;

  // Every run's summary, newest first (a run with none yet: RUNNING).
  v1::RunList list() const;

  // Someone asked for the stories of `run_id`: its Run actor builds them for a while.
  void want_stories(const std::string& run_id);
  // Whether stories of `run_id` were asked for within the last minute.
  bool stories_wanted(const std::string& run_id) const;

 private:
  struct Entry : View {
    Clock::time_point wanted{};
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry> runs_;
};

// The status without its stories.
v1::RunStatus without_stories(v1::RunStatus status);

}  // namespace rad
