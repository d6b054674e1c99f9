// Memory per idle agent, and how fast they are spawned: N live agents at once
// on a 3-node cluster, next to bare CAF holding (and spawning) as many idle
// actors in one process, in the same run.
//
//   build/bin/rad-bench-agents [--agents 100000] [--scheduler-policy sharing|stealing]
//
// rad: a coordinator (role all) and two workers on loopback. A plan of N mock
// stories that each last 10 minutes goes to the coordinator; once the nodes'
// active_agents add up to N (polled from their /metrics), every node's RSS
// (process_resident_memory_bytes) is read again, and its growth divided by
// the agents it runs. The workers' figure is the memory per idle agent; the
// coordinator's also holds the run's state for every story of the cluster,
// so it is given per story as well. The spawn rate is N over the time from the
// submission to the poll that saw them all live (a lower bound: the nodes are
// polled every 100 ms), through the one placement path: a run, its Dispatcher
// and the nodes' AgentHosts. RSS is read again every second for
// --hold-seconds (3): the last figure is the idle agent's once the spawn's
// transient buffers went back to the OS. Then the run is cancelled.
// bare CAF: this process spawns N event_based actors that wait for a message
// that never comes; its RSS growth per actor. This binary links jemalloc like
// rad-node, so both sides pay the same allocator.
// In one process, without the noise of RSS: the bytes jemalloc holds
// allocated per idle mock agent of an AgentHost, next to a bare CAF actor's.
// Exits 1 if the agents never all ran, or, from 50,000 agents on, a worker's
// figure at the last spawn is 2 KiB or more (issue [6]) or its settled figure
// (--hold-seconds) 1.5 KiB or more (issue [8]); below 50,000 agents, fixed
// costs such as the buffers of the spawn batches in flight weigh on the
// figure (3,000 agents measure ~3.3 KiB).
#include <google/protobuf/util/json_util.h>
#include <jemalloc/jemalloc.h>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "actors/agent_host.h"
#include "client/api_client.h"
#include "client/plan_shape.h"
#include "client/submit_client.h"
#include "load/bench_cluster.h"
#include "rad/v1/run.pb.h"
#include "runtime/config.h"
#include "runtime/error.h"
#include "runtime/system_config.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kFloorBytes = 2048;
constexpr double kSettledFloorBytes = 1536;
constexpr int kFloorFromAgents = 50000;

// N stories of one wave, each running `minutes` (and allowed to: the default
// attempt timeout is shorter).
std::string plan_json(int stories, int minutes) {
  rad::PlanShape shape;
  shape.name = "agents";
  shape.stories = stories;
  shape.duration_ms = static_cast<uint64_t>(minutes) * 60000;
  auto plan = rad::make_plan(shape);
  for (auto& wave : *plan.mutable_waves())
    for (auto& story : *wave.mutable_stories()) story.set_timeout_ms(2 * shape.duration_ms);
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(plan, &out);
  return out;
}

// Bytes jemalloc holds allocated now (threads' caches included).
double allocated_bytes() {
  uint64_t epoch = 1;
  size_t size = sizeof(epoch);
  mallctl("epoch", &epoch, &size, &epoch, size);
  size_t allocated = 0;
  size = sizeof(allocated);
  mallctl("stats.allocated", &allocated, &size, nullptr, 0);
  return static_cast<double>(allocated);
}

// What an AgentHost allocates per idle mock agent, in this process: `agents`
// 10-minute mock stories spawned in batches of 1,024, as a coordinator sends
// them.
double host_idle_agent_allocated_bytes(int agents, const std::string& scheduler_policy) {
  auto node = rad::default_config();
  node.mutable_cluster()->set_scheduler_policy(scheduler_policy);
  rad::SystemConfig cfg{node, std::chrono::milliseconds::zero()};
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  rad::AgentHostOptions options;
  options.identity.node_id = "bench";
  options.max_agents = static_cast<uint32_t>(agents);
  auto host = rad::spawn_agent_host(sys, options);
  auto before = allocated_bytes();
  for (int sent = 0; sent < agents;) {
    rad::v1::SpawnBatch batch;
    for (int i = 0; i < 1024 && sent < agents; ++i, ++sent) {
      auto* r = batch.add_requests();
      r->set_run_id("run-0123456789a");
      r->set_attempt(1);
      r->mutable_story()->set_id("s-" + std::to_string(sent));
      r->mutable_story()->mutable_mock()->set_duration_ms(600000);
      r->mutable_trace()->set_traceparent(
          "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
    }
    self->request(host, caf::infinite, rad::proto(std::move(batch)), rad::ResultRoutes{})
        .receive([](rad::Proto<rad::v1::SpawnReply>&) {}, [](caf::error&) {});
  }
  // The agents start on the scheduler's threads after the host's reply: read
  // until two readings agree.
  double grown = allocated_bytes() - before, last = 0;
  for (int i = 0; i < 50 && grown != last; ++i) {
    last = grown;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
    grown = allocated_bytes() - before;
  }
  self->send_exit(host, caf::exit_reason::user_shutdown);
  return grown / agents;
}

double bare_idle_actor_allocated_bytes(int actors, const std::string& scheduler_policy) {
  auto before = allocated_bytes();
  double grown = 0;
  rad::bench::bare_caf_idle_actor_bytes(actors, scheduler_policy,
                                        [&] { grown = allocated_bytes() - before; });
  return grown / actors;
}

struct NodeMemory {
  double rss = 0, agents = 0;
};

std::vector<NodeMemory> sample(rad::bench::BenchCluster& cluster) {
  std::vector<NodeMemory> out;
  for (size_t i = 0; i < cluster.metrics_ports().size(); ++i) {
    auto m = cluster.metrics(i);
    out.push_back({m["process_resident_memory_bytes"], m["active_agents"]});
  }
  return out;
}

// Polls the nodes until their live agents add up to `agents`; the samples
// then, or empty at the deadline.
std::vector<NodeMemory> await_live(rad::bench::BenchCluster& cluster, int agents) {
  auto deadline = Clock::now() + std::chrono::minutes{5};
  while (Clock::now() < deadline) {
    auto now = sample(cluster);
    double live = 0;
    for (const auto& n : now) live += n.agents;
    if (live >= agents) return now;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});  // the poll's pace
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  int agents = 100000;
  int minutes = 10;
  int hold_seconds = 3;
  CLI::App app{"rad-bench-agents: memory per idle agent on 3 loopback nodes vs bare CAF"};
  app.add_option("--agents", agents)->check(CLI::Range(1, 1000000));
  app.add_option("--minutes", minutes, "How long each agent would run")->check(CLI::Range(1, 60));
  app.add_option("--hold-seconds", hold_seconds,
                 "RSS read every second for this long after; the last is the settled figure")
      ->check(CLI::Range(0, 600));
  rad::bench::BenchOptions bench;
  rad::bench::add_bench_options(app, bench);
  CLI11_PARSE(app, argc, argv);

  rad::bench::BenchCluster cluster;
  if (!cluster.start(bench.policy)) return 1;
  auto api = "http://127.0.0.1:" + std::to_string(cluster.coordinator_http_port());
  auto before = sample(cluster);
  auto body = plan_json(agents, minutes);
  auto started = Clock::now();
  auto answer = rad::submit_plan(api, body);
  if (!answer) {
    std::fprintf(stderr, "submit failed: %s\n", rad::error_message(answer.error()).c_str());
    return 1;
  }
  auto run_id = answer->run_id;
  auto live = await_live(cluster, agents);
  if (live.empty()) {
    std::fprintf(stderr, "the %d agents never ran at once\n", agents);
    cluster.dump();
    return 1;
  }
  double spawn_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("%d agents live on 3 nodes %.2f s after submission: %.0f agents/s\n", agents,
              spawn_seconds, agents / spawn_seconds);
  const char* names[] = {"coord (role all)", "w1", "w2"};
  double worst_worker = 0;
  for (size_t i = 0; i < live.size(); ++i) {
    double grown = live[i].rss - before[i].rss;
    double per_agent = live[i].agents > 0 ? grown / live[i].agents : 0;
    std::printf("  %-17s %6.0f agents, RSS %7.1f -> %7.1f MiB: %6.0f bytes per agent", names[i],
                live[i].agents, before[i].rss / (1 << 20), live[i].rss / (1 << 20), per_agent);
    if (i == 0)
      std::printf(" (%.0f bytes per story of the run, its agents included)", grown / agents);
    else
      worst_worker = std::max(worst_worker, per_agent);
    std::printf("\n");
  }
  // Once spawning is over, the nodes return what the spawn batches used
  // (jemalloc's background purge, tools/jemalloc_conf.cc): what an idle agent
  // costs for as long as it waits is the last sample.
  double settled_worker = 0;
  for (int s = 1; s <= hold_seconds; ++s) {
    std::this_thread::sleep_for(std::chrono::seconds{1});
    auto now = sample(cluster);
    std::printf("  +%2d s:", s);
    settled_worker = 0;
    for (size_t i = 0; i < now.size(); ++i) {
      double per_agent = (now[i].rss - before[i].rss) / std::max(1.0, now[i].agents);
      std::printf(" %7.1f MiB (%5.0f B/agent)", now[i].rss / (1 << 20), per_agent);
      if (i > 0) settled_worker = std::max(settled_worker, per_agent);
    }
    std::printf("\n");
  }
  if (auto cancelled = rad::api_request("POST", api, "/v1/runs/" + run_id + "/cancel"); !cancelled)
    std::fprintf(stderr, "cancel failed: %s\n", rad::error_message(cancelled.error()).c_str());

  double bare = rad::bench::bare_caf_idle_actor_bytes(agents, bench.policy);
  std::printf("bare CAF: %.0f bytes per idle actor (%d actors in one process)\n", bare, agents);
  double bare_rate = rad::bench::bare_caf_spawn_rate(agents, bench.policy);
  std::printf("spawned: rad %.0f agents/s across 3 nodes, bare CAF %.0f actors/s, ratio %.2f\n",
              agents / spawn_seconds, bare_rate, agents / spawn_seconds / bare_rate);
  std::printf(
      "memory per idle agent (worst worker): %.0f bytes, ratio to bare CAF %.2f; floor: under "
      "%.0f bytes\n",
      worst_worker, worst_worker / bare, kFloorBytes);
  if (hold_seconds > 0)
    std::printf(
        "memory per idle agent %d s after the last spawn (worst worker): %.0f bytes, ratio to "
        "bare CAF %.2f\n",
        hold_seconds, settled_worker, settled_worker / bare);
  double host_allocated = host_idle_agent_allocated_bytes(agents, bench.policy);
  double bare_allocated = bare_idle_actor_allocated_bytes(agents, bench.policy);
  std::printf(
      "allocated in one process, per idle mock agent of an AgentHost: %.0f bytes, per bare CAF "
      "actor: %.0f (ratio %.2f)\n",
      host_allocated, bare_allocated, host_allocated / bare_allocated);
  if (agents < kFloorFromAgents) {
    std::printf("(floor not checked below %d agents)\n", kFloorFromAgents);
    return 0;
  }
  if (hold_seconds > 0 && settled_worker >= kSettledFloorBytes) {
    std::printf("settled figure over the floor of %.0f bytes\n", kSettledFloorBytes);
    return 1;
  }
  return worst_worker > 0 && worst_worker < kFloorBytes ? 0 : 1;
}
