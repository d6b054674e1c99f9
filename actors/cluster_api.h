// The cluster's HTTP routes, answered from what the membership publishes
// (actors/node_views.h), never by asking it: a busy node answers at once.
//   GET /v1/nodes  -> the membership view this node holds (rad.v1.MembershipView as JSON);
//                     503 before the membership published one
#pragma once

#include <memory>

#include "actors/node_views.h"
#include "runtime/http_server.h"

namespace rad {

void add_cluster_routes(HttpServer& server, std::shared_ptr<const NodeViews> views);

}  // namespace rad
