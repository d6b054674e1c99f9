// The cluster's HTTP routes, answered by asking the node's actors.
//   GET /v1/nodes  -> the membership view this node holds (rad.v1.MembershipView as JSON)
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "runtime/http_server.h"

namespace rad {

void add_cluster_routes(HttpServer& server, caf::actor_system& system, caf::actor node_agent);

}  // namespace rad
