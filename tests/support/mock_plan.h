// A plan for unit tests: one wave "w" of mock stories s0, s1, ... of one duration.
#pragma once

#include <cstdint>
#include <string>

#include "rad/v1/plan.pb.h"

namespace rad::test {

inline v1::Plan mock_plan(const std::string& name, int stories, uint64_t duration_ms = 10) {
  v1::Plan plan;
  plan.set_name(name);
  auto* wave = plan.add_waves();
  wave->set_name("w");
  for (int i = 0; i < stories; ++i) {
    auto* s = wave->add_stories();
    s->set_id("s" + std::to_string(i));
    s->mutable_mock()->set_duration_ms(duration_ms);
  }
  return plan;
}

}  // namespace rad::test
