// Checks a plan before anything runs: every problem is listed with the path
// of the field in the plan's JSON mapping and the reason, e.g.
//   waves[1].stories[3].dependsOn[0]: unknown story 'lint'
// The coordinator refuses a plan with problems (HTTP 400); radctl exits 2.
#pragma once

#include <caf/error.hpp>
#include <cstddef>
#include <string>
#include <vector>

#include "rad/v1/plan.pb.h"

namespace rad {

// Plan files and API bodies larger than this are refused before parsing: a
// plan of the 1,000,000 stories allowed below, each with a title, is ~120 MB
// of JSON (a 64 MiB limit refused it).
inline constexpr size_t kMaxPlanBytes = 256u << 20;

struct PlanLimits {
  // Stories in one plan.
  size_t max_stories = 1'000'000;
  // Waves in one plan.
  size_t max_waves = 10'000;
  // Encoded size of one story (its spec, commands and prompt).
  size_t max_story_bytes = 64 * 1024;
  // Entries of one story's depends_on.
  size_t max_dependencies = 10'000;
  // Attempts of one story.
  uint32_t max_attempts = 100;
  // Problems listed; the rest are counted.
  size_t max_problems = 100;
};

struct PlanProblem {
  std::string path;    // e.g. "waves[0].stories[2].id"; "" for the plan itself
  std::string reason;  // e.g. "duplicate id 'a' (first at waves[0].stories[0])"
};

// Every problem of `plan`, in document order; empty when it may run.
std::vector<PlanProblem> validate_plan(const v1::Plan& plan, const PlanLimits& limits = {});

// One line per problem, "PATH: REASON".
std::string describe(const std::vector<PlanProblem>& problems);

// An invalid_input error listing the problems ("plan 'x' has 2 problems: ..."),
// or none when there are none.
caf::error plan_error(const v1::Plan& plan, const std::vector<PlanProblem>& problems);

}  // namespace rad
