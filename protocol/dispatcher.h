// The Dispatcher's protocol as its Runs and the Supervisor see it
// (actors/dispatcher.h): where a run's requests are placed and its agents
// cancelled. Every request's result (or a synthetic one: refused, node lost,
// cancelled) goes back to the Run that placed it, as Proto<ResultBatch>
// (protocol/run.h).
#pragma once

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <string>
#include <vector>

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

}  // namespace rad
