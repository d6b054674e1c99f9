// The coordinator's runs:
//   rad_stories{state}      stories of the runs going on, by state
//   rad_runs_active         runs going on
//   rad_runs_total{state}   runs that ended here, by how
// A RunState keeps its stories counted from construction to destruction.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>

#include "rad/v1/run.pb.h"

namespace rad {

class RunMetrics {
 public:
  explicit RunMetrics(prometheus::Registry& registry);

  void stories_added(v1::StoryState state, double n) { stories_[index(state)]->Increment(n); }
  void story_moved(v1::StoryState from, v1::StoryState to) {
    stories_[index(from)]->Decrement();
    stories_[index(to)]->Increment();
  }
  void run_started() { active_->Increment(); }
  void run_ended(v1::RunState state);

 private:
  static size_t index(v1::StoryState s) { return static_cast<size_t>(s); }

  std::array<prometheus::Gauge*, v1::StoryState_ARRAYSIZE> stories_{};
  std::array<prometheus::Counter*, v1::RunState_ARRAYSIZE> ended_{};
  prometheus::Gauge* active_ = nullptr;
};

}  // namespace rad
