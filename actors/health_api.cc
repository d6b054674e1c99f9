#include "actors/health_api.h"

#include <google/protobuf/util/time_util.h>

#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>
#include <optional>

#include "actors/checkpoint.h"
#include "actors/node_agent.h"
#include "runtime/clock.h"

namespace rad {
namespace {

constexpr auto kCheckTimeout = std::chrono::seconds{1};

struct Check {
  bool healthy = false;
  std::string message;
  double latency_ms = 0;
};

// Asks `actor` a question answered with (bool, std::string): the answer as a
// check, with how long it took; none when no answer came within kCheckTimeout.
std::optional<Check> ask_check(caf::actor_system& system, const caf::actor& actor,
                               caf::message question) {
  std::optional<Check> check;
  caf::scoped_actor self{system};
  auto start = std::chrono::steady_clock::now();
  self->request(actor, kCheckTimeout, std::move(question))
      .receive(
          [&](bool ok, const std::string& message) {
            auto ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
            check = Check{ok, message, ms};
          },
          [&](const caf::error&) {});
  return check;
}

// Asks the NodeAgent whether the node may take work; its answer is also the
// proof that the node's actors run.
std::pair<Check, Check> ask_node(caf::actor_system& system, const caf::actor& node_agent) {
  auto cluster = ask_check(system, node_agent, caf::make_message(ready_atom::value));
  if (!cluster)
    return {{false, "the node's actors did not answer within 1 s"},
            {false, "unknown: the node's actors did not answer"}};
  return {{true, "actors answer", cluster->latency_ms}, *cluster};
}

// Asks the Supervisor whether its checkpoint store can be written: while it
// cannot, the coordinator takes no new runs.
Check ask_store(caf::actor_system& system, const caf::actor& supervisor) {
  return ask_check(system, supervisor, caf::make_message(store_state_atom::value))
      .value_or(Check{false, "unknown: the supervisor did not answer within 1 s"});
}

HttpResponse answer(const std::vector<std::pair<std::string, Check>>& checks) {
  bool healthy = true;
  nlohmann::json body;
  body["checks"] = nlohmann::json::object();
  for (const auto& [name, c] : checks) {
    healthy = healthy && c.healthy;
    body["checks"][name] = {{"status", c.healthy ? "healthy" : "unhealthy"},
                            {"message", c.message},
                            {"latency", c.latency_ms}};
  }
  body["status"] = healthy ? "healthy" : "unhealthy";
  body["timestamp"] = google::protobuf::util::TimeUtil::ToString(now_timestamp());
  return {healthy ? 200 : 503, body.dump(), "application/json"};
}

}  // namespace

void add_health_routes(HttpServer& server, caf::actor_system& system, caf::actor node_agent,
                       caf::actor supervisor) {
  // Every check the node has so far is also a readiness check.
  auto every_check = [&system, node_agent, supervisor](const HttpRequest&) {
    auto [process, cluster] = ask_node(system, node_agent);
    std::vector<std::pair<std::string, Check>> checks{{"process", process}, {"cluster", cluster}};
    if (supervisor) checks.emplace_back("checkpoint", ask_store(system, supervisor));
    return answer(checks);
  };
  server.route("GET", "/health", every_check);
  server.route("GET", "/health/ready", every_check);
  server.route("GET", "/health/live", [&system, node_agent](const HttpRequest&) {
    return answer({{"process", ask_node(system, node_agent).first}});
  });
}

}  // namespace rad
