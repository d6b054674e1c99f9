#include "actors/cluster_api.h"

#include "runtime/http_json.h"

namespace rad {

void add_cluster_routes(HttpServer& server, std::shared_ptr<const NodeViews> views) {
  server.route("GET", "/v1/nodes", [views](const HttpRequest&) {
    auto view = views->membership.get();
    if (!view) return error_response(503, "the node agent has not published its view yet");
    return json_response(*view, 200);
  });
}

}  // namespace rad
