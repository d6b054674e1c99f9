#include "actors/run_metrics.h"

#include "runtime/enum_word.h"
#include "runtime/metrics.h"

namespace rad {

RunMetrics::RunMetrics(prometheus::Registry& registry) {
  auto& stories = prometheus::BuildGauge()
                      .Name("rad_stories")
                      .Help("Stories of the runs going on, by state")
                      .Register(registry);
  add_gauge_per_state<v1::StoryState>(stories, stories_);
  auto& ended = prometheus::BuildCounter()
                    .Name("rad_runs_total")
                    .Help("Runs that ended on this coordinator, by end state")
                    .Register(registry);
  for (auto s : {v1::RUN_STATE_SUCCEEDED, v1::RUN_STATE_FAILED, v1::RUN_STATE_CANCELLED})
    ended_[static_cast<size_t>(s)] = &ended.Add({{"state", enum_word(v1::RunState_Name(s))}});
  active_ = single_gauge(registry, "rad_runs_active", "Runs going on");
}

void RunMetrics::run_ended(v1::RunState state) {
  active_->Decrement();
  if (auto* counter = ended_[static_cast<size_t>(state)]) counter->Increment();
}

}  // namespace rad
