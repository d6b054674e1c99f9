// The Dispatcher's protocol (actors/dispatcher.h). As its Runs and the
// Supervisor see it (placement_actor): where a run's requests are placed and
// its agents cancelled. Every request's result goes back to the Run that
// placed it, as Proto<ResultBatch> (protocol/run.h): straight from the node
// that ran it, or from the Dispatcher when it made one up (refused, node
// lost, cancelled). As the rest of the coordinator sees it
// (dispatcher_actor): the nodes that take agents, from the coordinator's
// membership; which attempts settled, from the AgentHosts; a drain's sync,
// from the Node.
#pragma once

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/agent_host.h"
#include "protocol/atoms.h"
#include "protocol/placement.h"
#include "rad/v1/cluster.pb.h"
#include "runtime/proto_bridge.h"

namespace rad {

// Attempts to place (protocol/placement.h); no answer.
using place_atom = caf::atom_constant<caf::atom("place")>;
// A resumed Run hands over the attempts its predecessor had placed: adopted
// where a node reports them running, placed again otherwise; no answer.
using handover_atom = caf::atom_constant<caf::atom("handover")>;
// A restarted Run takes over its run's requests still open.
using resink_atom = caf::atom_constant<caf::atom("resink")>;

using placement_actor =
    caf::typed_actor<caf::reacts_to<place_atom, Placement>,
                     caf::reacts_to<handover_atom, Proto<v1::SpawnBatch>>,
                     // (run id) -> the story ids of its requests still open.
                     caf::replies_to<resink_atom, std::string>::with<std::vector<std::string>>,
                     // A run's queued requests dropped, its agents cancelled on every
                     // node: true once every node hosting agents was told.
                     caf::replies_to<Proto<v1::CancelRequest>>::with<bool>>;

// (members_atom, node ids, their AgentHosts, their command slots): the nodes
// that host agents. Slots are Capacity::exec_slots, 0 where commands do not
// run (mock agents): no limit.
using members_atom = caf::atom_constant<caf::atom("members")>;
// (node_lost_atom, node id, uint32_t hold ms): a member is down, has left or
// was replaced by a new incarnation; what it accepted will not report. With a
// hold, the member went silent and may still run its agents until its lease
// has run out (actors/pulse.h): its attempts are placed again only after
// `hold`, unless it comes back first and reports them running (then they are
// adopted) or done.
using node_lost_atom = caf::atom_constant<caf::atom("nodelost")>;
// -> bool, once every result settled so far is in the checkpoint (each run
// that got one answered a status after it): what a draining all-in-one node
// waits for before it exits.
using sync_atom = caf::atom_constant<caf::atom("sync")>;

using dispatcher_actor = placement_actor::extend<
    // From the coordinator's membership.
    caf::reacts_to<members_atom, std::vector<std::string>, std::vector<agent_host_actor>,
                   std::vector<uint32_t>>,
    caf::reacts_to<node_lost_atom, std::string, uint32_t>,
    // From the AgentHosts it placed work on (it is their placer_actor): the
    // attempts whose results went straight to their Runs, and the results
    // that had no Run to go to (its Run stopped, or a node reported them to a
    // restarted coordinator).
    caf::reacts_to<Proto<v1::SettledAttempts>>, caf::reacts_to<Proto<v1::ResultBatch>>,
    // From the Node, draining.
    caf::replies_to<sync_atom>::with<bool>,
    // Whether a recovery is under way, as NodeViews::recovery has it.
    caf::replies_to<ready_atom>::with<bool, std::string>>;

}  // namespace rad
