// What the coordinator's and a worker's membership share
// (actors/coordinator_membership.h, actors/worker_membership.h): what they are
// built with, the node's heartbeat, the answers every node gives peers, and
// how a view is logged and published.
//
// Both run on CAF's scheduler, not detached: CAF 0.17 keeps actors whose
// handles went to a peer in its registry until after it has awaited detached
// actors, so a detached membership actor hangs shutdown.
#pragma once

#include <caf/node_id.hpp>
#include <map>
#include <memory>
#include <string>

#include "actors/membership_metrics.h"
#include "actors/node_views.h"
#include "protocol/agent_host.h"
#include "protocol/monitor.h"
#include "protocol/pulse.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/config.pb.h"
#include "runtime/proto_bridge.h"

namespace spdlog {
class logger;
}

namespace rad {

// What a node's membership actor is built with, whatever its role.
struct MemberOptions {
  v1::NodeInfo info;
  v1::NodeConfig config;
  // This node's AgentHost; none on a coordinator-only node.
  agent_host_actor agent_host{};
  // This node's Monitor, whose samples ride on the heartbeats; may come later
  // (monitor_atom).
  monitor_actor monitor{};
  // This node's Pulse: heartbeats, leases and failure detection.
  pulse_actor pulse{};
  // Where the view and the peers' heartbeat ages are shown; none: nowhere.
  std::shared_ptr<MembershipMetrics> metrics = nullptr;
  // Where the view and ready_atom's answer are published, on every tick and
  // change, for /v1/nodes and /health; null: nowhere.
  std::shared_ptr<NodeViews> views = nullptr;
};

// The node's heartbeat with sequence number `seq`, carrying its Monitor's
// latest sample if there is one.
v1::Heartbeat make_heartbeat(const v1::NodeInfo& info, uint64_t seq, const v1::NodeStats& stats);

// The answer to a peer's ping, in its trace.
Proto<v1::Pong> answer_ping(const v1::NodeInfo& info, const v1::Ping& ping, spdlog::logger& log);

// A join refused with `why`, in the request's trace.
v1::JoinReply refused_join(const v1::JoinRequest& request, std::string why);

// The refusal of a join without the joining node's AgentHost: a node of
// another protocol version, whose JoinRequest the coordinator's table
// refuses as such.
v1::JoinReply refused_join_without_host(const v1::JoinRequest& request);

// Whether `monitor` is to be this node's Monitor: the first one given, of this
// node.
bool takes_monitor(const monitor_actor& current, const monitor_actor& monitor,
                   const caf::node_id& node);

// "v3: 2 members (2 up)".
std::string summary(const v1::MembershipView& view);

// One line per member whose state or incarnation differs between two views.
void log_changes(spdlog::logger& log, const v1::MembershipView& before,
                 const v1::MembershipView& after);

// `view` and whether the node may take work, for the HTTP routes.
void publish_views(const MemberOptions& options, const v1::MembershipView& view, Verdict ready);

// `view`, and how long ago each peer was heard (by name), for /metrics.
void export_membership(const MemberOptions& options, const v1::MembershipView& view,
                       const std::map<std::string, double>& heartbeat_ages);

}  // namespace rad
