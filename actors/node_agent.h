// NodeAgent: the actor a node publishes on its cluster port; the entry point
// of every peer and client. Today it answers Ping with the node's NodeInfo;
// membership, heartbeats and the AgentHost (issue [2]) join it here.
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "rad/v1/cluster.pb.h"

namespace rad {

struct NodeAgentState {
  v1::NodeInfo info;
  uint64_t pings = 0;
  static inline const char* name = "rad.node_agent";
};

caf::behavior node_agent(caf::stateful_actor<NodeAgentState>* self, v1::NodeInfo info);

}  // namespace rad
