// What a node's actors publish for its HTTP routes (runtime/published.h):
// /v1/nodes and /health* answer from these without a request to an actor, so
// a coordinator busy with a large run still answers at once. Each actor
// publishes when what it shows changes (the membership also on every tick,
// which makes the age of its view the proof that the node's actors run).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "rad/v1/cluster.pb.h"
#include "runtime/published.h"

namespace rad {

// A coordinator's Dispatcher: the attempts it holds until a node takes them.
struct DispatchQueue {
  // Exec attempts waiting for a free command slot (agents.exec_slots of the
  // nodes), and the rest, waiting for a node's window or for any node at all.
  uint64_t exec = 0, other = 0;
  // Both, by run: what GET /v1/runs/ID shows as `queued`.
  std::map<std::string, uint32_t> by_run;
};

struct NodeViews {
  // The membership: its view, and whether the node may take work.
  Published<v1::MembershipView> membership;
  Published<Verdict> cluster;
  // The Monitor's latest sample.
  Published<v1::NodeStats> stats;
  // A coordinator's: whether its checkpoint store can be written (the
  // Supervisor), and whether a recovery is under way (the Dispatcher).
  Published<Verdict> store, recovery;
  // The Dispatcher's queue, whenever it changes.
  Published<DispatchQueue> queue;
};

}  // namespace rad
