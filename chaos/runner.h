// Runs a chaos scenario end to end on a LocalCluster: starts the cluster,
// submits the workload, injects the scheduled faults at their times (posting
// node faults, signalling and restarting processes), heals everything when
// the scenario's duration is over, waits up to settle_ms for the run to end,
// stops the nodes, then checks every invariant against what it gathered.
// Live progress goes to `progress` about once a second.
//
//   RunnerOptions o{scenario, seed, rad_node_path};
//   auto report = run_chaos(o);      // error: the scenario could not be run
//   report->passed()
#pragma once

#include <caf/expected.hpp>
#include <iosfwd>
#include <string>

#include "chaos/report.h"
#include "rad/v1/chaos.pb.h"

namespace rad {

struct RunnerOptions {
  v1::ChaosScenario scenario;  // valid (load_scenario)
  uint64_t seed = 0;
  std::string rad_node;  // the binary the nodes run
  // Where the scenario's data dirs and node logs go (a fresh directory is made
  // inside); kept when a verdict fails or when given, else removed.
  std::string work_dir = "/tmp";
  bool keep_work_dir = false;
  std::ostream* progress = nullptr;  // none: quiet
};

caf::expected<ChaosReport> run_chaos(const RunnerOptions& options);

}  // namespace rad
