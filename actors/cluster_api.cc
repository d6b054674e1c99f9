#include "actors/cluster_api.h"

#include <caf/scoped_actor.hpp>

#include "actors/node_agent.h"
#include "runtime/http_json.h"
#include "runtime/proto_bridge.h"

namespace rad {
namespace {

constexpr auto kActorTimeout = std::chrono::seconds{2};

}  // namespace

void add_cluster_routes(HttpServer& server, caf::actor_system& system, caf::actor node_agent) {
  server.route("GET", "/v1/nodes", [&system, node_agent](const HttpRequest&) {
    caf::scoped_actor self{system};
    HttpResponse response = error_response(503, "the node agent did not answer");
    self->request(node_agent, kActorTimeout, view_atom::value)
        .receive(
            [&](const Proto<v1::MembershipView>& view) { response = json_response(view.value); },
            [&](const caf::error&) {});
    return response;
  });
}

}  // namespace rad
