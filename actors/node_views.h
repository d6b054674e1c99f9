// What a node's actors publish for its HTTP routes (runtime/published.h):
// /v1/nodes and /health* answer from these without a request to an actor, so
// a coordinator busy with a large run still answers at once. Each actor
// publishes when what it shows changes (the NodeAgent also on every tick,
// which makes the age of its view the proof that the node's actors run).
#pragma once

#include "rad/v1/cluster.pb.h"
#include "runtime/published.h"

namespace rad {

struct NodeViews {
  // The NodeAgent: the membership view, and whether the node may take work.
  Published<v1::MembershipView> membership;
  Published<Verdict> cluster;
  // The Monitor's latest sample.
  Published<v1::NodeStats> stats;
  // A coordinator's: whether its checkpoint store can be written (the
  // Supervisor), and whether a recovery is under way (the Dispatcher).
  Published<Verdict> store, recovery;
};

}  // namespace rad
