#include "actors/run_metrics.h"

#include "runtime/enum_word.h"

namespace rad {

RunMetrics::RunMetrics(prometheus::Registry& registry) {
  auto& stories = prometheus::BuildGauge()
                      .Name("rad_stories")
                      .Help("Stories of the runs going on, by state")
                      .Register(registry);
  for (int s = v1::StoryState_MIN; s <= v1::StoryState_MAX; ++s)
    if (v1::StoryState_IsValid(s) && s != v1::STORY_STATE_UNSPECIFIED)
      stories_[static_cast<size_t>(s)] =
          &stories.Add({{"state", enum_word(v1::StoryState_Name(static_cast<v1::StoryState>(s)))}});
  auto& ended = prometheus::BuildCounter()
                    .Name("rad_runs_total")
                    .Help("Runs that ended on this coordinator, by end state")
                    .Register(registry);
  for (auto s : {v1::RUN_STATE_SUCCEEDED, v1::RUN_STATE_FAILED, v1::RUN_STATE_CANCELLED})
    ended_[static_cast<size_t>(s)] = &ended.Add({{"state", enum_word(v1::RunState_Name(s))}});
  active_ = &prometheus::BuildGauge()
                 .Name("rad_runs_active")
                 .Help("Runs going on")
                 .Register(registry)
                 .Add({});
}

void RunMetrics::run_ended(v1::RunState state) {
  active_->Decrement();
  if (auto* counter = ended_[static_cast<size_t>(state)]) counter->Increment();
}

}  // namespace rad
