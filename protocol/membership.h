// The membership's protocol: every node publishes the membership actor of its
// role on its cluster port, the coordinator's (actors/coordinator_membership.h)
// or a worker's (actors/worker_membership.h). Between them travel protobuf
// messages alone, but for the AgentHost a join carries as a caf::actor (the
// join is as kProtocolVersion has it).
#pragma once

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>

#include "protocol/atoms.h"
#include "protocol/monitor.h"
#include "protocol/pulse.h"
#include "rad/v1/cluster.pb.h"
#include "runtime/proto_bridge.h"

namespace rad {

// The membership view as this node holds it.
using view_atom = caf::atom_constant<caf::atom("view")>;
// A worker leaves the cluster gracefully: -> bool, whether the coordinator
// acknowledged it.
using leave_atom = caf::atom_constant<caf::atom("leave")>;
// (monitor_atom, Monitor): this node's Monitor, once it is spawned.
using monitor_atom = caf::atom_constant<caf::atom("monitor")>;

// What the membership actor of either role takes.
using membership_actor = caf::typed_actor<
    // From any peer (radctl ping too).
    caf::replies_to<Proto<v1::Ping>>::with<Proto<v1::Pong>>,
    // From a joining worker, with its AgentHost; alone from a node of another
    // protocol version. Admitted or refused; a worker refuses every join.
    caf::replies_to<Proto<v1::JoinRequest>, caf::actor>::with<Proto<v1::JoinReply>>,
    caf::replies_to<Proto<v1::JoinRequest>>::with<Proto<v1::JoinReply>>,
    // From the Node: this node's Monitor, whose samples (it is the Monitor's
    // stats_subscriber_actor) ride on the heartbeats.
    caf::reacts_to<monitor_atom, monitor_actor>, caf::reacts_to<Proto<v1::NodeStats>>,
    // From the Node and local code: the view; whether the node may take work,
    // and why (not); this node drains: true once the coordinator is told
    // (the Node drains the AgentHost itself).
    caf::replies_to<view_atom>::with<Proto<v1::MembershipView>>,
    caf::replies_to<ready_atom>::with<bool, std::string>, caf::replies_to<drain_atom>::with<bool>>;

using coordinator_membership_actor = membership_actor::extend<
    // From every member, each tick: its Monitor's sample. Liveness is the
    // Pulses'.
    caf::reacts_to<Proto<v1::Heartbeat>>,
    // From a member draining, then leaving: true once the table has it.
    caf::replies_to<Proto<v1::LeaveNotice>>::with<bool>,
    // From a worker it admitted: the coordinator's Pulse, which the worker's
    // heartbeats.
    caf::replies_to<pulse_atom>::with<caf::actor>,
    // From this node's Pulse: it is its member_liveness_actor.
    caf::reacts_to<liveness_atom, std::string, uint64_t, std::string, std::string, uint32_t>>;

using worker_membership_actor = membership_actor::extend<
    // From the coordinator: its heartbeat, each tick; every new view; and,
    // unasked, a fenced JoinReply once it declared this node down.
    caf::reacts_to<Proto<v1::Heartbeat>>, caf::reacts_to<Proto<v1::MembershipView>>,
    caf::reacts_to<Proto<v1::JoinReply>>,
    // From this node's Pulse, the coordinator is silent: it is its
    // coordinator_liveness_actor.
    caf::reacts_to<liveness_atom, std::string>,
    // From the Node, stopping.
    caf::replies_to<leave_atom>::with<bool>>;

}  // namespace rad
