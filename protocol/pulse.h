// The Pulse's protocol (actors/pulse.h): heartbeats, leases and failure
// detection, on every node.
#pragma once

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>

#include "rad/v1/cluster.pb.h"
#include "runtime/proto_bridge.h"

namespace rad {

using pulse_atom = caf::atom_constant<caf::atom("pulse")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;
using incarnation_atom = caf::atom_constant<caf::atom("incarnate")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using renew_atom = caf::atom_constant<caf::atom("renew")>;
using gone_atom = caf::atom_constant<caf::atom("gone")>;
using liveness_atom = caf::atom_constant<caf::atom("liveness")>;
using fence_atom = caf::atom_constant<caf::atom("fence")>;

// Whom the coordinator's Pulse tells of its members' liveness: (member id,
// its incarnation, "up"|"suspect"|"down", reason, hold ms). The coordinator's
// membership (protocol/membership.h).
using member_liveness_actor = caf::typed_actor<
    caf::reacts_to<liveness_atom, std::string, uint64_t, std::string, std::string, uint32_t>>;

// Whom a worker's Pulse tells that its coordinator went silent: (reason).
// The worker's membership (protocol/membership.h).
using coordinator_liveness_actor = caf::typed_actor<caf::reacts_to<liveness_atom, std::string>>;

// Whom a worker's Pulse tells that its lease ran out: the AgentHost, which
// stops every agent.
using fence_subscriber_actor = caf::typed_actor<caf::reacts_to<fence_atom, std::string>>;

using pulse_actor = caf::typed_actor<
    // Between nodes: a worker's heartbeat, and the coordinator's answer. The
    // peer's Pulse travels as a caf::actor (pulse_atom's answer).
    caf::reacts_to<Proto<v1::Heartbeat>>, caf::reacts_to<Proto<v1::HeartbeatAck>>,
    // Coordinator: (node id, incarnation) a member joined; (node id) it left.
    caf::reacts_to<watch_atom, std::string, uint64_t>, caf::reacts_to<forget_atom, std::string>,
    // Worker: admitted, with the join's send time in steady ticks and the gone
    // hold in ms; the coordinator's Pulse to watch (its Pulse, node id, this
    // node's incarnation, the join's send time); the coordinator's process is
    // gone; this node rejoined as a new incarnation.
    caf::reacts_to<renew_atom, int64_t, uint32_t>,
    caf::reacts_to<watch_atom, caf::actor, std::string, uint64_t, int64_t>,
    caf::reacts_to<gone_atom>, caf::reacts_to<incarnation_atom, uint64_t>,
    // Both: this Pulse, for a peer. Whom to tell: on the coordinator, its
    // membership; on a worker, its membership and its AgentHost.
    caf::replies_to<pulse_atom>::with<caf::actor>,
    caf::reacts_to<subscribe_atom, member_liveness_actor>,
    caf::reacts_to<subscribe_atom, coordinator_liveness_actor, fence_subscriber_actor>>;

}  // namespace rad
