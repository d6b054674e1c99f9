// Agents spawned across a cluster, next to bare CAF spawning the same number
// of actors in one process, in the same run.
//
//   build/bin/rad-bench-spawn [--agents 100000] [--order-size 5000] [--repeat 3]
//                             [--scheduler-policy sharing|stealing]
//
// rad: a coordinator (role all) and two workers on loopback. This process, a
// client, sends the coordinator all its spawn orders of `order-size` requests
// at once; its Dispatcher places the requests on the three nodes in batches,
// each node's AgentHost spawns one zero-length mock Agent per request, every
// agent answers once, and results come back in batches. Timed from the first
// order sent to the last answer; only agents that succeeded count.
// bare CAF: one process spawns the same number of actors that each answer once.
// Exits 1 if any agent did not succeed or any member was reported suspect or
// down while the cluster was busy.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <cstdio>
#include <thread>

#include "actors/dispatcher.h"
#include "load/bench_cluster.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/run.pb.h"
#include "runtime/config.h"
#include "runtime/proto_bridge.h"
#include "runtime/system_config.h"

namespace {

using namespace rad;
using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kOrderDeadline{60};

// Agents per second, or -1 when not every agent succeeded.
double rad_cluster(rad::bench::BenchCluster& cluster, int agents, int orders, int round) {
  rad::SystemConfig cfg;
  caf::actor_system sys{cfg};
  auto coord = sys.middleman().remote_actor("127.0.0.1", cluster.coordinator_port());
  if (!coord) return -1;
  std::vector<rad::Proto<rad::v1::SpawnBatch>> batches(static_cast<size_t>(orders));
  for (int i = 0; i < agents; ++i) {
    auto* r = batches[static_cast<size_t>(i % orders)].value.add_requests();
    r->set_run_id("bench-" + std::to_string(round) + "-" + std::to_string(i % orders));
    r->set_attempt(1);
    r->mutable_story()->set_id("s" + std::to_string(i));
    r->mutable_story()->mutable_mock();
  }
  caf::scoped_actor self{sys};
  auto start = Clock::now();
  std::vector<caf::response_handle<caf::blocking_actor, caf::message, true>> answers;
  for (auto& b : batches)
    answers.push_back(
        self->request(*coord, kOrderDeadline, rad::dispatch_atom::value, std::move(b)));
  uint32_t succeeded = 0;
  for (auto& answer : answers)
    answer.receive(
        [&](const rad::Proto<rad::v1::RunStatus>& s) { succeeded += s.value.counts().succeeded(); },
        [&](const caf::error& err) {
          std::fprintf(stderr, "order failed: %s\n", sys.render(err).c_str());
        });
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (succeeded != static_cast<uint32_t>(agents)) {
    std::fprintf(stderr, "only %u of %d agents succeeded\n", succeeded, agents);
    return -1;
  }
  return agents / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int agents = 100000, order_size = 5000;
  CLI::App app{"rad-bench-spawn: agents spawned across 3 loopback nodes vs bare CAF"};
  app.add_option("--agents", agents)->check(CLI::Range(1, 10000000));
  app.add_option("--order-size", order_size, "Spawn requests per order; orders go concurrently")
      ->check(CLI::Range(1, rad::kMaxRequestsPerOrder));
  rad::bench::BenchOptions bench;
  rad::bench::add_bench_options(app, bench);
  CLI11_PARSE(app, argc, argv);
  int repeat = bench.repeat;
  const auto& policy = bench.policy;

  rad::bench::BenchCluster cluster;
  if (!cluster.start(policy)) return 1;
  std::vector<double> rad_rates, bare_rates;
  for (int round = 0; round < repeat; ++round) {
    double rate = rad_cluster(cluster, agents, (agents + order_size - 1) / order_size, round);
    if (rate < 0) {
      cluster.dump();
      return 1;
    }
    rad_rates.push_back(rate);
    bare_rates.push_back(rad::bench::bare_caf_spawn_rate(agents, policy));
    std::printf(
        "round %d: rad %.0f agents/s across 3 nodes, bare CAF %.0f actors/s in one process\n",
        round + 1, rad_rates.back(), bare_rates.back());
  }
  double r = rad::bench::median(rad_rates), b = rad::bench::median(bare_rates);
  std::printf("median of %d: rad %.0f agents/s, bare CAF %.0f actors/s, ratio %.2f\n", repeat, r, b,
              r / b);
  // Busy is not dead: no member may be reported suspect or down under this load.
  long alarms = cluster.false_alarms();
  std::printf("false alarms (suspect or down) during the run: %ld\n", alarms);
  return alarms == 0 ? 0 : 1;
}
