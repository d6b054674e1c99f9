// The local cluster a chaos scenario runs on: its nodes (cluster_nodes: the
// coordinator with role all, it runs agents too, then the workers), each with
// chaos.enabled on, the scenario's membership timing and drain and adopt
// windows, span recording off, exec stories run for real when the workload
// has them; given a NetnsLab, each node in a network namespace of its own, on
// its address there. Every node's output goes to WORK_DIR/NAME.log.
//
//   auto options = chaos_cluster_options(scenario, rad_node, work_dir, lab);
//   LocalCluster cluster{*options};
#pragma once

#include <caf/expected.hpp>
#include <string>

#include "harness/local_cluster.h"
#include "rad/v1/chaos.pb.h"

namespace rad {

class NetnsLab;

// The caller must have joined the lab's hub (NetnsLab::join_hub) to reach the
// nodes. An error when a node's namespace cannot be made.
caf::expected<LocalClusterOptions> chaos_cluster_options(const v1::ChaosScenario& scenario,
                                                         const std::string& rad_node,
                                                         const std::string& work_dir,
                                                         NetnsLab* netns);

}  // namespace rad
