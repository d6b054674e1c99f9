// Chaos scenario files: loading and validation, and the cluster a scenario
// names its nodes in. chaos/runner.h runs what this accepts.
#pragma once

#include <caf/expected.hpp>
#include <string>
#include <vector>

#include "rad/v1/chaos.pb.h"

namespace rad {

// Scenario files larger than this are refused.
inline constexpr size_t kMaxScenarioFileBytes = 1 << 20;

// The chaos cluster's coordinator (role all: it runs agents too).
inline constexpr const char* kChaosCoordinator = "coord";
// Workers of a scenario's cluster: 0 means this many; at most kMaxChaosWorkers.
inline constexpr uint32_t kDefaultChaosWorkers = 2;
inline constexpr uint32_t kMaxChaosWorkers = 16;

// The nodes `radctl chaos run` starts for `scenario`, as its faults name
// them: the coordinator, then workers w1..wN.
std::vector<std::string> cluster_nodes(const v1::ChaosScenario& scenario);

// Every problem of `scenario`, each "PATH: REASON"; empty when it is valid.
std::vector<std::string> scenario_problems(const v1::ChaosScenario& scenario);

// Reads and validates a scenario file. The error lists every problem on one
// line: "FILE: 2 problems: faults[0].probability: ...; faults[1]: ...".
caf::expected<v1::ChaosScenario> load_scenario(const std::string& path);

}  // namespace rad
