// The fault schedule of a scenario: which faults fire, when, and on which
// nodes, decided from the seed before anything runs. The same scenario, seed
// and cluster give the same schedule, so a failing run replays with its seed.
//
//   auto schedule = make_schedule(scenario, seed);
//   for (const auto& i : *schedule) std::cout << describe(i) << "\n";
//
// Targets are resolved here, never by the nodes: names, a role ("coordinator",
// "worker", empty for the fault's default) and a count picked with the seed.
// Without names or a role, process faults (kill_node) pick among workers,
// restart_coordinator and checkpoint_failure hit the coordinator, the others
// any node. A partition is made symmetric: each side gets the other's names.
#pragma once

#include <caf/expected.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "rad/v1/chaos.pb.h"

namespace rad {

// What is posted to one node's POST /v1/chaos.
struct NodeCommand {
  std::string node;
  v1::ChaosCommand command;
};

struct Injection {
  size_t index = 0;  // of the fault in the scenario
  std::string id;    // the fault's id, or "faults[INDEX]"
  uint64_t at_ms = 0;
  // Whether its probability draw let it fire; a fault that does not fire is
  // listed all the same, so that the schedule shows every draw.
  bool fires = true;
  double draw = 0;                 // in [0, 1): fires when below the probability
  std::vector<std::string> nodes;  // the resolved targets, in the order picked
  // What the runner posts (a partition's other side too, each naming the
  // other side in `from`); none for process faults, which the runner does.
  std::vector<NodeCommand> posts;
  v1::ChaosCommand command;  // the scenario's, for its kind and parameters
};

// "kill_agent", "kill_node", "restart_coordinator", "link", "partition",
// "pressure", "checkpoint_failure".
std::string fault_kind(const v1::ChaosCommand& command);

// True for the faults the runner does itself by signalling processes.
bool is_process_fault(const v1::ChaosCommand& command);

// The injections in time order (ties in scenario order), on the nodes of
// cluster_nodes(scenario). Errors (invalid_input) when a target cannot be
// resolved, e.g. an unknown name.
caf::expected<std::vector<Injection>> make_schedule(const v1::ChaosScenario& scenario,
                                                    uint64_t seed);

// One line: "  1.500s  worker-kill  kill_node  w2  restart after 1000 ms".
std::string describe(const Injection& injection);

// When the scenario's faults are over: its duration_ms, or when 0, the end of
// the last fault to end.
uint64_t fault_window_ms(const v1::ChaosScenario& scenario);

}  // namespace rad
