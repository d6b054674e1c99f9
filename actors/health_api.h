// Health endpoints of every node, on its --http-port:
//   GET /health        every check; 200 when all are healthy, else 503
//   GET /health/live   the node's actors answer (503 only when they do not)
//   GET /health/ready  it may take work (503 otherwise): its actors answer; a
//                      worker is joined to its coordinator and not draining; a
//                      coordinator's checkpoint store can be written and it is
//                      not recovering (adopting the agents of a restart)
// Each answers {"status":"healthy"|"unhealthy","checks":{"process","checkpoint",
// "cluster","monitor": {"status","message","latency"}},"timestamp":"ISO-8601"},
// latency in milliseconds. A Monitor that refuses new agents is healthy: the
// node works on, and its message says why it takes no more.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "runtime/http_server.h"

namespace rad {

struct HealthSources {
  caf::actor node_agent;
  caf::actor monitor;
  // A coordinator's: the Supervisor knows whether the checkpoint store can be
  // written, the Dispatcher whether a recovery is under way. Null on a worker.
  caf::actor supervisor = nullptr;
  caf::actor dispatcher = nullptr;
};

void add_health_routes(HttpServer& server, caf::actor_system& system, HealthSources sources);

}  // namespace rad
