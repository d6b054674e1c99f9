// CoordinatorMembership (role coordinator or all): the cluster's membership,
// the actor the coordinator publishes on its cluster port.
//
// It keeps the MembershipTable: it admits joining nodes, hears their
// heartbeats (which carry their Monitor's samples), marks them suspect, up or
// down as the node's Pulse judges them (actors/pulse.h: silence is judged on a
// thread of its own), marks disconnected ones down, and pushes every new view
// to every live member. The coordinator is a member of its own table, its
// Monitor's samples going straight in.
//
// It tells the Dispatcher which nodes take agents now, with their AgentHosts
// (members_atom: up members hosting agents whose Monitor admits), and which
// were lost (node_lost_atom, with how long a silent one's lease may still
// run); it tells its Pulse whom to watch. A joining worker's AgentHost comes
// with its join. It relays no work.
//
// Messages: coordinator_membership_actor (protocol/membership.h).
#pragma once

#include <caf/actor_system.hpp>
#include <chrono>

#include "actors/node_membership.h"
#include "protocol/dispatcher.h"
#include "protocol/membership.h"

namespace rad {

struct CoordinatorMembershipOptions : MemberOptions {
  // The coordinator's Dispatcher.
  dispatcher_actor dispatcher{};
  // Told to each worker it admits (JoinReply::gone_hold_ms, actors/pulse.h).
  std::chrono::milliseconds gone_hold{0};
};

coordinator_membership_actor spawn_coordinator_membership(caf::actor_system& system,
                                                          CoordinatorMembershipOptions options);

}  // namespace rad
