// Health endpoints of every node, on its --http-port:
//   GET /health        every check; 200 when all are healthy, else 503
//   GET /health/live   the node's actors answer (503 only when they do not)
//   GET /health/ready  it may take work: live, and a worker is joined to its
//                      coordinator and not draining, a coordinator's checkpoint
//                      store can be written (503 otherwise)
// Each answers {"status":"healthy"|"unhealthy","checks":{NAME:{"status",
// "message","latency"}},"timestamp":"ISO-8601"}, latency in milliseconds.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "runtime/http_server.h"

namespace rad {

// `supervisor`: a coordinator's, which tells whether the checkpoint store can
// be written (check "checkpoint"); null on a worker.
void add_health_routes(HttpServer& server, caf::actor_system& system, caf::actor node_agent,
                       caf::actor supervisor = {});

}  // namespace rad
