// The chaos routes of every node (docs/CHAOS.md):
//   POST /v1/chaos        body: a rad.v1.ChaosCommand as JSON -> rad.v1.ChaosAck
//   POST /v1/chaos/clear  -> rad.v1.ChaosAck: every fault of this node ended
// With chaos.enabled false (the default) both answer 403 and do nothing.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "protocol/chaos.h"
#include "runtime/http_server.h"

namespace rad {

// `chaos`: the node's Chaos actor (faults/chaos.h); null when chaos is disabled.
void add_chaos_routes(HttpServer& server, caf::actor_system& system, chaos_actor chaos);

}  // namespace rad
