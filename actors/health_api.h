// Health endpoints of every node, on its --http-port:
//   GET /health        every check; 200 when all are healthy, else 503
//   GET /health/live   the node's actors answer (503 only when they do not)
//   GET /health/ready  it may take work (503 otherwise): its actors answer; a
//                      worker is joined to its coordinator and not draining; a
//                      coordinator's checkpoint store can be written and it is
//                      not recovering (adopting the agents of a restart)
// They answer from what the node's actors publish (actors/node_views.h),
// never by asking them, so a busy coordinator answers at once. The process
// check is the age of the membership's view, which it publishes every tick
// (100 ms): older than 3 s, the node's actors are taken as not running.
// Each answers {"status":"healthy"|"unhealthy","checks":{"process","checkpoint",
// "cluster","monitor": {"status","message","latency"}},"timestamp":"ISO-8601"},
// latency in milliseconds. A Monitor that refuses new agents is healthy: the
// node works on, and its message says why it takes no more.
#pragma once

#include <memory>

#include "actors/node_views.h"
#include "runtime/http_server.h"

namespace rad {

// `coordinator`: the node keeps the checkpoint store (its Supervisor and
// Dispatcher publish to `views`); a worker keeps none.
void add_health_routes(HttpServer& server, std::shared_ptr<const NodeViews> views,
                       bool coordinator);

}  // namespace rad
