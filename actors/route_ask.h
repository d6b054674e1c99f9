// How an HTTP route asks one of the node's actors and turns the answer into
// JSON: the routes of actors/*_api.cc share it.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <chrono>

#include "runtime/http_json.h"
#include "runtime/proto_bridge.h"

namespace rad {

inline constexpr auto kRouteAskTimeout = std::chrono::seconds{5};
// For a status with every story, which may be read from the checkpoint store:
// 300,000 stories take ~1.5 s alone on 2 cores, and over 5 s beside a busy run.
inline constexpr auto kStoredStatusTimeout = std::chrono::seconds{60};

// Whom a route asks, and how long it waits. A typed handle (protocol/*.h)
// has the compiler check the question and the answer's type.
template <class Handle = caf::actor>
struct Asked {
  const Handle& actor;
  const char* who;
  std::chrono::milliseconds timeout = kRouteAskTimeout;
};
template <class Handle>
Asked(const Handle&, const char*) -> Asked<Handle>;
template <class Handle>
Asked(const Handle&, const char*, std::chrono::milliseconds) -> Asked<Handle>;

// Its answer, a message of type Answer, becomes JSON with `status`.
template <class Answer, class Handle = caf::actor, class... Ts>
HttpResponse ask(caf::actor_system& system, const Asked<Handle>& to, int status, Ts&&... message) {
  caf::scoped_actor self{system};
  HttpResponse response = error_response(503, std::string{to.who} + " did not answer");
  self->request(to.actor, to.timeout, std::forward<Ts>(message)...)
      .receive([&](const Proto<Answer>& a) { response = json_response(a.value, status); },
               [&](const caf::error& err) { response = error_response(err); });
  return response;
}

}  // namespace rad
