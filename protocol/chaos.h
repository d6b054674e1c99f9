// The Chaos actor's protocol (faults/chaos.h): the faults a node injects into
// itself, asked by POST /v1/chaos and /v1/chaos/clear (faults/chaos_api.h).
#pragma once

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "rad/v1/chaos.pb.h"
#include "runtime/proto_bridge.h"

namespace rad {

// Every fault of this node ended.
using clear_atom = caf::atom_constant<caf::atom("clear")>;

using chaos_actor = caf::typed_actor<
    // Applied, saying what was done; an invalid_input error when this node
    // cannot take it (no agents here, no checkpoint here, unknown peer).
    caf::replies_to<Proto<v1::ChaosCommand>>::with<Proto<v1::ChaosAck>>,
    caf::replies_to<clear_atom>::with<Proto<v1::ChaosAck>>>;

}  // namespace rad
