// The AgentHost's protocol (actors/agent_host.h): the node's spawner of
// agents, driven by the coordinator's Dispatcher and by its own node.
#pragma once

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/node_id.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>

#include "protocol/agent.h"
#include "protocol/atoms.h"
#include "protocol/pulse.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/run.pb.h"
#include "runtime/proto_bridge.h"
#include "runtime/result_routes.h"

namespace rad {

// (coordinator_atom, node id): the coordinator this node joined (or is
// joining), whose work it takes besides its own node's; none: no coordinator.
using coordinator_atom = caf::atom_constant<caf::atom("coord")>;
// The agents running now.
using running_atom = caf::atom_constant<caf::atom("running")>;
// What runs here and the results that found no coordinator; the asker takes
// every result from then on.
using adopt_atom = caf::atom_constant<caf::atom("adopt")>;
// As drain_atom, stopping the running agents first: the node goes.
using drain_now_atom = caf::atom_constant<caf::atom("drainnow")>;

// Results go straight to the sink the spawns named for their run (its Run
// actor, ResultRoutes), and the placer (who sent the spawns: the
// coordinator's Dispatcher) is told which attempts settled, after them. A run
// without a sink, or whose sink went down, has its results sent to the placer
// itself; with no placer either (the coordinator is gone) they wait for the
// next one to ask (adopt_atom), who takes every result from then on.
using placer_actor = result_sink_actor::extend<caf::reacts_to<Proto<v1::SettledAttempts>>>;

using agent_host_actor = caf::typed_actor<
    // From this node's membership (a worker's: the coordinator it joins).
    caf::reacts_to<coordinator_atom, caf::node_id>,
    // From the coordinator's Dispatcher (a placer_actor), or this node: one
    // decision per request; an error from anyone else.
    caf::replies_to<Proto<v1::SpawnBatch>, ResultRoutes>::with<Proto<v1::SpawnReply>>,
    // The run's agents (or the listed stories) cancelled; spawns of a run
    // cancelled as a whole are refused from then on.
    caf::reacts_to<Proto<v1::CancelRequest>>,
    // The attempts running here and the results no coordinator took; the
    // asker is their sink from now on. An error from anyone else.
    caf::replies_to<adopt_atom>::with<Proto<v1::AgentReport>>,
    // From its attempts (an attempt_host_actor, protocol/agent.h).
    caf::reacts_to<Proto<v1::StoryResult>>,
    caf::reacts_to<crashed_atom, Proto<v1::StoryResult>, caf::error>,
    caf::reacts_to<ended_atom, MockAgentId, bool>,
    caf::reacts_to<crashed_atom, MockAgentId, caf::error>,
    // From the node's Pulse (a fence_subscriber_actor, protocol/pulse.h): the
    // lease ran out, every agent stops and its attempt is lost.
    caf::reacts_to<fence_atom, std::string>,
    // From the Monitor.
    caf::replies_to<running_atom>::with<uint32_t>,
    // From the Node: true once no agent runs and every result is sent; every
    // spawn is refused from then on (retry elsewhere).
    caf::replies_to<drain_atom>::with<bool>, caf::replies_to<drain_now_atom>::with<bool>>;

}  // namespace rad
