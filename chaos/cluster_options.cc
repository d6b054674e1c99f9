#include "chaos/cluster_options.h"

#include "chaos/netns_lab.h"
#include "chaos/scenario.h"
#include "runtime/error.h"

namespace rad {

caf::expected<LocalClusterOptions> chaos_cluster_options(const v1::ChaosScenario& scenario,
                                                         const std::string& rad_node,
                                                         const std::string& work_dir,
                                                         NetnsLab* netns) {
  const auto& c = scenario.cluster();
  LocalClusterOptions o;
  o.rad_node = rad_node;
  o.work_dir = work_dir;
  o.log_dir = work_dir;
  // The runner starts every node from its one thread: if radctl dies, so do they.
  o.die_with_parent = true;
  o.env["RAD_CHAOS_ENABLED"] = "true";
  // Spans cost CPU that two cores running a whole cluster do not have.
  o.env["RAD_TRACE_SPANS"] = "false";
  o.env["RAD_USE_REAL_AGENTS"] = scenario.workload().exec() ? "true" : "false";
  if (c.heartbeat_interval_ms())
    o.env["RAD_CLUSTER_HEARTBEAT_INTERVAL_MS"] = std::to_string(c.heartbeat_interval_ms());
  if (c.heartbeat_timeout_ms())
    o.env["RAD_CLUSTER_HEARTBEAT_TIMEOUT_MS"] = std::to_string(c.heartbeat_timeout_ms());
  if (c.adopt_window_ms())
    o.env["RAD_CHECKPOINT_ADOPT_WINDOW_MS"] = std::to_string(c.adopt_window_ms());
  if (c.drain_timeout_ms()) o.flags = {"--drain-timeout-ms", std::to_string(c.drain_timeout_ms())};
  for (const auto& name : cluster_nodes(scenario)) {
    LocalNodeOptions node{name, name == kChaosCoordinator ? "all" : "worker"};
    if (netns) {
      node.host = netns->add_node(name);
      if (node.host.empty())
        return make_error(Errc::internal, "cannot make the network namespace of node " + name);
      node.launcher = netns->exec_in(name);
    }
    o.nodes.push_back(std::move(node));
  }
  return o;
}

}  // namespace rad
