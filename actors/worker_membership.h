// WorkerMembership (role worker): this node's membership in the cluster, the
// actor a worker publishes on its cluster port.
//
// Two behaviours. Joining: it tries its seeds in turn (cluster.join) until a
// coordinator admits it; the first join gives up after
// cluster.join_timeout_ms (on_fatal), later ones never do. Joined: it hands
// the coordinator's Pulse to its own, sends the coordinator its Monitor's
// samples every tick, keeps the latest view, tells the coordinator when the
// node drains or leaves; it goes back to joining when the Pulse finds the
// coordinator silent, its connection is lost, or the coordinator fenced this
// node (then as a new incarnation). Whatever it joins, it tells the
// AgentHost (coordinator_atom): work is taken from that coordinator alone.
//
// Messages: worker_membership_actor (protocol/membership.h).
#pragma once

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <functional>

#include "actors/node_membership.h"
#include "protocol/membership.h"

namespace rad {

struct WorkerMembershipOptions : MemberOptions {
  // Called (from the actor's thread) when the node cannot go on: refused by
  // the coordinator, or no seed reachable within cluster.join_timeout_ms.
  std::function<void(const caf::error&)> on_fatal;
};

worker_membership_actor spawn_worker_membership(caf::actor_system& system,
                                                WorkerMembershipOptions options);

}  // namespace rad
