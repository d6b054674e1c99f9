// The Monitor's protocol (actors/monitor/monitor.h): every node's sampler of
// its resources and admission verdict.
#pragma once

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "rad/v1/cluster.pb.h"
#include "runtime/proto_bridge.h"

namespace rad {

// The latest sample of this node.
using stats_atom = caf::atom_constant<caf::atom("stats")>;

using monitor_actor = caf::typed_actor<caf::replies_to<stats_atom>::with<Proto<v1::NodeStats>>>;

// Who is sent each new sample (the membership, which puts it in its heartbeats).
using stats_subscriber_actor = caf::typed_actor<caf::reacts_to<Proto<v1::NodeStats>>>;

}  // namespace rad
