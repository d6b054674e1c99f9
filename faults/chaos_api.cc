#include "faults/chaos_api.h"

#include "actors/route_ask.h"
#include "faults/chaos.h"
#include "runtime/proto_file.h"

namespace rad {
namespace {

// A command is a few hundred bytes; anything near this is not one.
constexpr size_t kMaxCommandBytes = 64 << 10;

HttpResponse disabled() {
  return error_response(403,
                        "chaos is disabled on this node; start it with chaos.enabled=true "
                        "(RAD_CHAOS_ENABLED=true), never on a cluster doing real work");
}

}  // namespace

void add_chaos_routes(HttpServer& server, caf::actor_system& system, chaos_actor chaos) {
  server.route("POST", "/v1/chaos", [&system, chaos](const HttpRequest& request) {
    if (!chaos) return disabled();
    if (request.body.size() > kMaxCommandBytes)
      return error_response(400, "a chaos command is at most 64 KiB");
    v1::ChaosCommand command;
    if (auto err = parse_proto_text(request.body, FileFormat::json, "request body", command))
      return error_response(err);
    return ask<v1::ChaosAck>(system, Asked{chaos, "the chaos actor"}, 200,
                             proto(std::move(command)));
  });
  server.route("POST", "/v1/chaos/clear", [&system, chaos](const HttpRequest&) {
    if (!chaos) return disabled();
    return ask<v1::ChaosAck>(system, Asked{chaos, "the chaos actor"}, 200, clear_atom::value);
  });
}

}  // namespace rad
