// NodeAgent: the actor every node publishes on its cluster port, and the
// node's membership in the cluster.
//
// On the coordinator (role coordinator or all) it keeps the MembershipTable:
// it admits joining nodes, hears their heartbeats (which carry their Monitor's
// samples), marks them suspect, up or down as the node's Pulse judges them
// (actors/pulse.h: silence is judged on a thread of its own), marks
// disconnected ones down, and pushes every new view to every live member. On
// a worker it joins through its seeds, hands the coordinator's Pulse to its
// own, reconnects when the Pulse finds the coordinator silent or the
// connection is lost, and keeps the latest view.
//
// It runs on CAF's scheduler, not detached: CAF 0.17 keeps actors whose
// handles went to a peer in its registry until after it has awaited detached
// actors, so a detached NodeAgent hangs shutdown.
#pragma once

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "actors/membership_metrics.h"
#include "actors/membership_table.h"
#include "actors/node_views.h"
#include "protocol/agent_host.h"
#include "protocol/dispatcher.h"
#include "protocol/monitor.h"
#include "protocol/pulse.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/config.pb.h"

namespace spdlog {
class logger;
}

namespace rad {

// Local requests to a NodeAgent.
using view_atom = caf::atom_constant<caf::atom("view")>;    // -> Proto<MembershipView>
using leave_atom = caf::atom_constant<caf::atom("leave")>;  // -> bool, after a graceful leave
// (monitor_atom, actor): this node's Monitor, once it is spawned; local only.
using monitor_atom = caf::atom_constant<caf::atom("monitor")>;
// ready_atom (protocol/atoms.h) -> (bool, std::string): whether the node may
// take work, and why (not).
// drain_atom (protocol/atoms.h) -> bool: this node drains; the coordinator is
// told, so that it places nothing more here (Node::begin_drain then drains the
// AgentHost).
// Its own timers.
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using join_atom = caf::atom_constant<caf::atom("join")>;

struct NodeAgentOptions {
  v1::NodeInfo info;
  v1::NodeConfig config;
  // Called (from the agent's thread) when the node cannot go on, e.g. refused
  // by the coordinator or no seed reachable within cluster.join_timeout_ms.
  std::function<void(const caf::error&)> on_fatal;
  // This node's AgentHost; none on a coordinator-only node.
  agent_host_actor agent_host{};
  // The coordinator's Dispatcher; none on a worker.
  dispatcher_actor dispatcher{};
  // This node's Monitor, whose samples ride on the heartbeats.
  monitor_actor monitor{};
  // This node's Pulse: heartbeats, leases and failure detection.
  pulse_actor pulse{};
  // Where the view and the peers' heartbeat ages are shown; none: nowhere.
  std::shared_ptr<MembershipMetrics> metrics = nullptr;
  // Where the view and ready_atom's answer are published, on every tick and
  // change, for /v1/nodes and /health; null: nowhere.
  std::shared_ptr<NodeViews> views = nullptr;
  // A coordinator's: told to each worker it admits (JoinReply::gone_hold_ms,
  // actors/pulse.h).
  std::chrono::milliseconds gone_hold{0};
};

struct NodeAgentState {
  using Clock = std::chrono::steady_clock;

  NodeAgentOptions options;
  std::shared_ptr<spdlog::logger> log;
  std::chrono::milliseconds interval{100};

  // Coordinator.
  std::unique_ptr<MembershipTable> table;
  std::map<std::string, caf::actor> member_agents;       // by node id
  std::map<std::string, agent_host_actor> member_hosts;  // their AgentHosts, by node id
  v1::MembershipView announced;                          // the view last pushed
  // Members the Pulse found silent: how long their work waits for their
  // lease to run out (none: down because the connection was lost).
  std::map<std::string, uint32_t> lease_holds;

  // Worker.
  caf::actor coordinator;
  caf::node_id lost_coordinator;  // the last one lost: its handle may linger
  v1::MembershipView view;
  Clock::time_point coordinator_heard;
  Clock::time_point join_started;
  bool joining = false, ever_joined = false;
  bool draining = false;
  size_t next_seed = 0;
  unsigned attempt = 0;

  uint64_t heartbeat_seq = 0;
  v1::NodeStats stats;  // the Monitor's latest

  static inline const char* name = "rad.node_agent";
};

caf::behavior node_agent(caf::stateful_actor<NodeAgentState>* self, NodeAgentOptions options);

}  // namespace rad
