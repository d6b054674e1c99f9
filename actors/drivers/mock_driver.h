// The mock driver: simulated work, deterministic for a given seed, run, story
// and attempt, so a failing run replays exactly.
#pragma once

#include <chrono>
#include <string>

#include "rad/v1/plan.pb.h"

namespace rad {

struct MockAttempt {
  std::chrono::milliseconds duration{0};
  bool succeeds = true;
  std::string output;
};

MockAttempt plan_mock_attempt(const v1::MockDriver& mock, const std::string& run_id,
                              const std::string& story_id, uint32_t attempt);

}  // namespace rad
