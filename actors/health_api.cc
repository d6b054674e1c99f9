#include "actors/health_api.h"

#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/clock.h"

namespace rad {
namespace {

using Clock = std::chrono::steady_clock;

// The membership publishes every tick (100 ms): a view older than this says
// its actors no longer run (a stalled scheduler), not that they are busy.
constexpr auto kStale = std::chrono::seconds{3};

struct Check {
  bool healthy = false;
  std::string message;
  double latency_ms = 0;
};

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// A published verdict as a check; `who` names the actor when it published none.
Check check_of(const Published<Verdict>& published, const char* who, Clock::time_point start) {
  auto verdict = published.get();
  if (!verdict)
    return {false, std::string{"unknown: "} + who + " has not told yet", ms_since(start)};
  return {verdict->ok, verdict->message, ms_since(start)};
}

// Whether the node's actors run (the age of the membership's view), and
// whether the node may take work.
std::pair<Check, Check> node_checks(const NodeViews& views) {
  auto start = Clock::now();
  auto at = views.cluster.at();
  if (at == Clock::time_point{})
    return {{false, "the node agent has not published its view yet"},
            {false, "unknown: the node agent has not published its view yet"}};
  auto age = std::chrono::duration_cast<std::chrono::milliseconds>(start - at);
  if (age > kStale) {
    auto why = "the node agent's view is " + std::to_string(age.count()) +
               " ms old (it publishes every tick): its actors do not run";
    return {{false, why}, {false, "unknown: " + why}};
  }
  return {{true, "actors run (view " + std::to_string(age.count()) + " ms old)", ms_since(start)},
          check_of(views.cluster, "the node agent", start)};
}

// A coordinator's store and recovery; a worker has none.
Check checkpoint_check(const NodeViews& views, bool coordinator) {
  if (!coordinator) return {true, "a worker keeps no checkpoint", 0};
  auto start = Clock::now();
  auto store = check_of(views.store, "the supervisor", start);
  auto recovery = check_of(views.recovery, "the dispatcher", start);
  if (!store.healthy) return store;
  if (!recovery.healthy) return recovery;
  return {true, store.message + "; " + recovery.message, ms_since(start)};
}

// The Monitor's latest sample and verdict.
Check monitor_check(const NodeViews& views) {
  auto start = Clock::now();
  auto stats = views.stats.get();
  if (!stats) return {false, "the monitor has not sampled yet", ms_since(start)};
  const auto& st = *stats;
  char line[160];
  std::snprintf(
      line, sizeof line, "cpu %.0f%%, memory %.0f%% of %.1f GiB, load %.2f", st.cpu_percent(),
      st.memory_total_bytes() ? 100.0 * st.memory_used_bytes() / st.memory_total_bytes() : 0.0,
      st.memory_total_bytes() / double(1ull << 30), st.load1());
  return {true,
          (st.admits() ? "admits new agents: " : "refuses new agents (" + st.refusal() + "): ") +
              std::string{line},
          ms_since(start)};
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

void add_health_routes(HttpServer& server, std::shared_ptr<const NodeViews> views,
                       bool coordinator) {
  // Every check is also a readiness check.
  auto every_check = [views, coordinator](const HttpRequest&) {
    auto [process, cluster] = node_checks(*views);
    return answer({{"process", process},
                   {"checkpoint", checkpoint_check(*views, coordinator)},
                   {"cluster", cluster},
                   {"monitor", monitor_check(*views)}});
  };
  server.route("GET", "/health", every_check);
  server.route("GET", "/health/ready", every_check);
  server.route("GET", "/health/live", [views](const HttpRequest&) {
    return answer({{"process", node_checks(*views).first}});
  });
}

}  // namespace rad
