#include "actors/health_api.h"

#include <google/protobuf/util/time_util.h>

#include <caf/scoped_actor.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "actors/checkpoint.h"
#include "actors/monitor/monitor.h"
#include "actors/node_agent.h"
#include "runtime/clock.h"
#include "runtime/proto_bridge.h"

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

// A coordinator's store and recovery; a worker has none.
Check ask_checkpoint(caf::actor_system& system, const HealthSources& from) {
  if (!from.supervisor) return {true, "a worker keeps no checkpoint", 0};
  auto store = ask_store(system, from.supervisor);
  auto recovery = ask_check(system, from.dispatcher, caf::make_message(ready_atom::value))
                      .value_or(Check{false, "unknown: the dispatcher did not answer within 1 s"});
  if (!store.healthy) return store;
  if (!recovery.healthy) return recovery;
  return {true, store.message + "; " + recovery.message, store.latency_ms + recovery.latency_ms};
}

// The Monitor's latest sample and verdict.
Check ask_monitor(caf::actor_system& system, const caf::actor& monitor) {
  Check check{false, "the monitor did not answer within 1 s"};
  caf::scoped_actor self{system};
  auto start = std::chrono::steady_clock::now();
  self->request(monitor, kCheckTimeout, stats_atom::value)
      .receive(
          [&](const Proto<v1::NodeStats>& s) {
            const auto& st = s.value;
            char line[160];
            std::snprintf(line, sizeof line, "cpu %.0f%%, memory %.0f%% of %.1f GiB, load %.2f",
                          st.cpu_percent(),
                          st.memory_total_bytes()
                              ? 100.0 * st.memory_used_bytes() / st.memory_total_bytes()
                              : 0.0,
                          st.memory_total_bytes() / double(1ull << 30), st.load1());
            check = {
                true,
                (st.admits() ? "admits new agents: "
                             : "refuses new agents (" + st.refusal() + "): ") +
                    std::string{line},
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count()};
          },
          [&](const caf::error&) {});
  return check;
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

void add_health_routes(HttpServer& server, caf::actor_system& system, HealthSources sources) {
  // Every check is also a readiness check.
  auto every_check = [&system, sources](const HttpRequest&) {
    auto [process, cluster] = ask_node(system, sources.node_agent);
    return answer({{"process", process},
                   {"checkpoint", ask_checkpoint(system, sources)},
                   {"cluster", cluster},
                   {"monitor", ask_monitor(system, sources.monitor)}});
  };
  server.route("GET", "/health", every_check);
  server.route("GET", "/health/ready", every_check);
  server.route("GET", "/health/live", [&system, sources](const HttpRequest&) {
    return answer({{"process", ask_node(system, sources.node_agent).first}});
  });
}

}  // namespace rad
