// Dispatcher (coordinator): places the spawn requests of runs on the live
// nodes that host agents, many requests to a message and a bounded number of
// messages in flight per node (flow control: CAF does not throttle senders).
// Each result goes from its node straight to the Run that placed it (the
// sender of place_atom, protocol/dispatcher.h, whose handle travels with the
// spawns: ResultRoutes), and the node tells the Dispatcher which attempts
// settled (Proto<SettledAttempts>), after the results. The Dispatcher sends a
// Run the results it makes up (refused, node lost, cancelled) and those that
// had no Run to go to (its Run stopped, or a node reported them after a
// restart), as Proto<ResultBatch>.
//
// A Proto<CancelRequest> drops the queued requests it covers and reaches every
// node that was given work; cancelled agents answer with their results. A node
// that refuses a request because it drains gets no more. A request a node
// refuses for good comes back to its run with OUTCOME_UNSPECIFIED and the
// refusal; those a lost node had accepted, with OUTCOME_NODE_LOST.
//
// Adoption, after the coordinator restarted: every node that comes to host
// agents is asked what it runs (adopt_atom, answered by its AgentHost with an
// AgentReport). A resumed Run hands over the attempts its predecessor had
// placed (handover_atom, protocol/dispatcher.h); those a node reports running are
// adopted (their results come as usual), results a node kept are delivered,
// and the rest are placed again once every node of the last view
// (DispatcherOptions::adopt_from) has answered, or adopt_window has passed;
// but those of `idempotent: false` stories are settled as OUTCOME_NODE_LOST
// instead (their outcome is unknown: they may have run on a node lost meanwhile).
// Requests a node never acknowledged are placed again whatever the story says:
// they count as not started.
//
// Command slots: a node runs at most agents.exec_slots commands at once, so
// exec requests wait here, not on the node, until a node has a free slot
// (a request holds its node's slot from placing until it is settled or
// placed again); a node is given a quarter of its slots more, which wait
// there, so that a slot it frees is taken at once. The queue is published (NodeViews::queue) for
// GET /v1/runs/ID and rad_dispatch_queued. Until then it answers ready_atom (protocol/atoms.h)
// with false and why.
//
// Its messages are protocol/dispatcher.h: placement_actor from Runs,
// dispatcher_actor from the rest of the coordinator.
#pragma once

#include <caf/actor_system.hpp>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "actors/node_views.h"
#include "protocol/agent_host.h"
#include "protocol/checkpoint.h"
#include "protocol/dispatcher.h"
#include "protocol/run.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/run.pb.h"

namespace rad {

// Requests per message to the Dispatcher at most. One message is read by one
// thread: 50,000 requests (1.5 MB) held the coordinator's link for ~400 ms,
// long enough for every worker to look suspect. Larger work is split.
inline constexpr int kMaxRequestsPerMessage = 10000;

struct DispatcherOptions {
  // Requests per SpawnBatch message.
  int batch_size = 1024;
  // SpawnBatch messages awaiting their SpawnReply, per node.
  int window = 8;
  // Where the nodes hosting agents are kept (Proto<AgentNodes>); null: nowhere.
  checkpoint_actor checkpoint{};
  // This node: its agents die with it, so it is never awaited after a restart.
  std::string local_node_id;
  // The nodes that hosted agents before a restart: attempts are awaited from them.
  std::vector<std::string> adopt_from;
  // How long placed attempts of resumed runs wait for a node to report them.
  std::chrono::milliseconds adopt_window{5000};
  // Where its readiness (ready_atom's answer) is published whenever it
  // changes, for /health; null: nowhere.
  std::shared_ptr<NodeViews> views;
};

dispatcher_actor spawn_dispatcher(caf::actor_system& system, DispatcherOptions options);

// How much the Dispatcher keeps, for the tests that hold it flat whatever the
// number of runs and nodes ever seen. Read only while it is idle (it answered
// everything sent to it so far).
struct DispatcherTables {
  size_t pending = 0, queued = 0, routes = 0, unanswered = 0, closed_nodes = 0, held = 0,
         cancelled_runs = 0, synced_since = 0;
  std::set<std::string> asked;  // nodes asked what they run
};
DispatcherTables dispatcher_tables(const dispatcher_actor& dispatcher);

}  // namespace rad
