// Chaos scenario files: loading and validation. The Chaos actor (issue [6])
// runs what this accepts; nothing here injects a fault.
#pragma once

#include <caf/expected.hpp>
#include <string>
#include <vector>

#include "rad/v1/chaos.pb.h"

namespace rad {

// Scenario files larger than this are refused.
inline constexpr size_t kMaxScenarioFileBytes = 1 << 20;

// Every problem of `scenario`, each "PATH: REASON"; empty when it is valid.
std::vector<std::string> scenario_problems(const v1::ChaosScenario& scenario);

// Reads and validates a scenario file. The error lists every problem on one
// line: "FILE: 2 problems: faults[0].probability: ...; faults[1]: ...".
caf::expected<v1::ChaosScenario> load_scenario(const std::string& path);

}  // namespace rad
