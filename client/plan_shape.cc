#include "client/plan_shape.h"

#include <algorithm>
#include <random>

namespace rad {

v1::Plan make_plan(const PlanShape& shape) {
  std::mt19937_64 rng{shape.seed};
  std::uniform_real_distribution<double> unit{0.0, 1.0};
  v1::Plan plan;
  plan.set_name(shape.name);
  int waves = std::max(1, shape.waves);
  int previous_first = 0, previous_size = 0, next_id = 0;
  for (int w = 0; w < waves; ++w) {
    // The first waves take the remainder: every story is placed.
    int size = shape.stories / waves + (w < shape.stories % waves ? 1 : 0);
    auto* wave = plan.add_waves();
    wave->set_name("wave-" + std::to_string(w + 1));
    wave->set_max_concurrent(shape.max_concurrent);
    wave->set_continue_on_error(true);
    wave->mutable_stories()->Reserve(size);
    for (int i = 0; i < size; ++i) {
      auto* s = wave->add_stories();
      s->set_id("s" + std::to_string(next_id + i));
      auto* mock = s->mutable_mock();
      mock->set_duration_ms(shape.duration_ms);
      mock->set_distribution(shape.distribution);
      mock->set_failure_rate(shape.failure_rate);
      // Only random durations and failures read it: fixed plans stay lean.
      if (shape.distribution != v1::MockDriver::FIXED || shape.failure_rate > 0)
        mock->set_seed(shape.seed);
      if (w == 0 || previous_size == 0 || unit(rng) >= shape.dependency_density) continue;
      std::uniform_int_distribution<int> pick{previous_first, previous_first + previous_size - 1};
      int deps = std::min(shape.fan_out, previous_size);
      for (int d = 0; d < deps; ++d) s->add_depends_on("s" + std::to_string(pick(rng)));
      // Picked twice is one dependency: validation refuses duplicates.
      auto* list = s->mutable_depends_on();
      std::sort(list->begin(), list->end());
      list->erase(std::unique(list->begin(), list->end()), list->end());
    }
    previous_first = next_id;
    previous_size = size;
    next_id += size;
  }
  return plan;
}

}  // namespace rad
