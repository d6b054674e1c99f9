#include "actors/health_api.h"

#include <google/protobuf/util/time_util.h>

#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

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

// Asks the NodeAgent whether the node may take work; its answer is also the
// proof that the node's actors run.
std::pair<Check, Check> ask_node(caf::actor_system& system, const caf::actor& node_agent) {
  Check process{false, "the node's actors did not answer within 1 s"};
  Check cluster{false, "unknown: the node's actors did not answer"};
  caf::scoped_actor self{system};
  auto start = std::chrono::steady_clock::now();
  self->request(node_agent, kCheckTimeout, ready_atom::value)
      .receive(
          [&](bool ready, const std::string& message) {
            auto ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
            process = {true, "actors answer", ms};
            cluster = {ready, message, ms};
          },
          [&](const caf::error&) {});
  return {process, cluster};
}

// Asks the Supervisor whether its checkpoint store can be written: while it
// cannot, the coordinator takes no new runs.
Check ask_store(caf::actor_system& system, const caf::actor& supervisor) {
  Check store{false, "unknown: the supervisor did not answer within 1 s"};
  caf::scoped_actor self{system};
  auto start = std::chrono::steady_clock::now();
  self->request(supervisor, kCheckTimeout, store_state_atom::value)
      .receive(
          [&](bool writable, const std::string& message) {
            auto ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
            store = {writable, message, ms};
          },
          [&](const caf::error&) {});
  return store;
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
