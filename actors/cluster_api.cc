#include "actors/cluster_api.h"

#include <google/protobuf/util/json_util.h>

#include <caf/scoped_actor.hpp>

#include "actors/node_agent.h"
#include "runtime/proto_bridge.h"

namespace rad {
namespace {

constexpr auto kActorTimeout = std::chrono::seconds{2};

HttpResponse json_of(const google::protobuf::Message& message) {
  HttpResponse response;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &response.body, options);
  return response;
}

HttpResponse error_response(int status, const std::string& message) {
  return {status, "{\"error\":\"" + message + "\"}", "application/json"};
}

}  // namespace

void add_cluster_routes(HttpServer& server, caf::actor_system& system, caf::actor node_agent) {
  server.route("GET", "/v1/nodes", [&system, node_agent](const HttpRequest&) {
    caf::scoped_actor self{system};
    HttpResponse response = error_response(503, "the node agent did not answer");
    self->request(node_agent, kActorTimeout, view_atom::value)
        .receive([&](const Proto<v1::MembershipView>& view) { response = json_of(view.value); },
                 [&](const caf::error&) {});
    return response;
  });
}

}  // namespace rad
