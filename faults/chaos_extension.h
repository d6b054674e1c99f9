// What chaos adds to a rad-node (docs/CHAOS.md), as the node's extension
// (actors/node_extension.h), so that the node's own code names no fault.
// Every node it extends serves the rad_chaos_* metrics (0 without faults) and
// the routes POST /v1/chaos[/clear] (faults/chaos_api.h: 403 without
// chaos.enabled). With chaos.enabled, and only then, it installs the hooks
// faults go through:
//
//   the link       LinkFaults (faults/link_faults.h) as the process's LinkHook
//   the store      WriteFaults (faults/write_faults.h) as its write hook
//   the agents     AgentKiller (faults/agent_killer.h) as the AgentHost's observer
//
// and spawns the Chaos actor (faults/chaos.h) that sets them on request.
//
//   auto node = rad::Node::start(config, rad::chaos_extension(config));
#pragma once

#include <memory>

#include "actors/node_extension.h"
#include "rad/v1/config.pb.h"

namespace rad {

std::shared_ptr<NodeExtension> chaos_extension(const v1::NodeConfig& config);

}  // namespace rad
