#include "chaos/workload.h"

#include <cstdio>

#include "chaos/draws.h"
#include "client/plan_shape.h"

namespace rad {

v1::ChaosWorkload with_defaults(v1::ChaosWorkload w) {
  if (w.stories() == 0) w.set_stories(200);
  if (w.waves() == 0) w.set_waves(1);
  if (w.max_attempts() == 0) w.set_max_attempts(5);
  return w;
}

v1::Plan make_workload(const v1::ChaosWorkload& workload, uint64_t seed, const std::string& marker,
                       const std::string& side_effects_path) {
  auto w = with_defaults(workload);
  PlanShape shape;
  shape.name = "chaos";
  shape.stories = static_cast<int>(w.stories());
  shape.waves = static_cast<int>(w.waves());
  shape.dependency_density = w.dependency_density();
  shape.duration_ms = w.duration_ms();
  // Uniform in [0, 2d]: a fault finds attempts at every stage.
  shape.distribution = w.duration_ms() ? v1::MockDriver::UNIFORM : v1::MockDriver::FIXED;
  shape.failure_rate = w.exec() ? 0 : w.failure_rate();
  shape.max_concurrent = w.max_concurrent();
  shape.seed = seed;
  auto plan = make_plan(shape);
  // Exec sleeps draw their own durations (make_plan's are the mocks').
  Draws draws{seed, 1};
  for (auto& wave : *plan.mutable_waves())
    for (auto& story : *wave.mutable_stories()) {
      story.set_max_attempts(w.max_attempts());
      story.mutable_backoff()->set_initial_ms(50);
      story.mutable_backoff()->set_max_ms(1000);
      if (!w.exec()) continue;
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.3f",
                    2.0 * draws.unit() * static_cast<double>(w.duration_ms()) / 1e3);
      auto* exec = story.mutable_exec();  // replaces the mock (a oneof)
      if (w.side_effects() && !side_effects_path.empty()) {
        // RAD_STORY_ID and RAD_ATTEMPT come from the node (add_attempt_environment).
        auto line = [&](const char* sign) {
          return std::string{"echo "} + sign + " $RAD_STORY_ID $RAD_ATTEMPT >> '" +
                 side_effects_path + "'";
        };
        exec->add_argv("sh");
        exec->add_argv("-c");
        exec->add_argv(line("+") + "; sleep " + seconds + "; " + line("-"));
      } else {
        exec->add_argv("sleep");
        exec->add_argv(seconds);
      }
      (*exec->mutable_env())[kChaosMarkerVariable] = marker;
    }
  return plan;
}

}  // namespace rad
