// radctl load: runs a plan of a chosen shape (client/plan_shape.h) against a
// cluster and reports what it took: throughput, latency percentiles of the
// stories (submitted to running, running to checkpointed), and per node the
// peak RSS and the memory per live agent, read from each node's /metrics
// while the run goes on. A JSON report, a one-line summary, and with a
// previous report the change of every figure.
#pragma once

#include <chrono>
#include <string>

#include "client/plan_shape.h"

namespace rad {

struct LoadOptions {
  std::string api;  // the coordinator's HTTP API
  PlanShape shape;
  std::string report_path;   // write the JSON report here; empty: none
  std::string compare_path;  // a previous report to compare with; empty: none
  std::chrono::milliseconds sample_interval{100};
  std::chrono::minutes timeout{30};
};

// 0 when every story succeeded, 1 when the run failed or did not end, 2 bad
// input, 3 unreachable.
int load_command(const LoadOptions& options);

}  // namespace rad
