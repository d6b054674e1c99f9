#include "actors/cluster_api.h"

#include "actors/node_agent.h"
#include "actors/route_ask.h"

namespace rad {

void add_cluster_routes(HttpServer& server, caf::actor_system& system, caf::actor node_agent) {
  server.route("GET", "/v1/nodes", [&system, node_agent](const HttpRequest&) {
    return ask<v1::MembershipView>(system, {node_agent, "the node agent", std::chrono::seconds{2}},
                                   200, view_atom::value);
  });
}

}  // namespace rad
