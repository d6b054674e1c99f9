#include "load/bench_cluster.h"

#include <unistd.h>

#include <algorithm>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <regex>

#include "client/api_client.h"
#include "client/prometheus_text.h"
#include "runtime/config.h"
#include "runtime/system_config.h"

namespace rad::bench {
namespace {

using Clock = std::chrono::steady_clock;

// What a node logs once the cluster is whole.
const std::regex kThreeUp{R"(view v\d+: 3 members \(3 up\))"};

caf::behavior answer_once(caf::event_based_actor* self, caf::actor parent) {
  self->send(parent, 1);
  self->quit();
  return {};
}

// Says it has started, then waits.
caf::behavior idle(caf::event_based_actor* self, caf::actor parent) {
  self->send(parent, 1);
  return {[](int) {}};
}

}  // namespace

double resident_bytes(pid_t pid) {
  // statm counts pages.
  std::ifstream in{"/proc/" + (pid == 0 ? std::string{"self"} : std::to_string(pid)) + "/statm"};
  double size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

void add_bench_options(CLI::App& app, BenchOptions& options) {
  app.add_option("--repeat", options.repeat, "Rounds; medians are reported")
      ->check(CLI::Range(1, 100));
  app.add_option("--scheduler-policy", options.policy, "CAF scheduler of the nodes and of bare CAF")
      ->check(CLI::IsMember({"sharing", "stealing"}));
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double bare_caf_spawn_rate(int actors, const std::string& scheduler_policy) {
  auto node = default_config();
  node.mutable_cluster()->set_scheduler_policy(scheduler_policy);
  SystemConfig cfg{node, std::chrono::milliseconds::zero()};  // one process: no link to time out
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto start = Clock::now();
  for (int i = 0; i < actors; ++i) sys.spawn(answer_once, caf::actor{self});
  int answered = 0;
  self->receive_for(answered, actors)([](int) {});
  return actors / std::chrono::duration<double>(Clock::now() - start).count();
}

double bare_caf_idle_actor_bytes(int actors, const std::string& scheduler_policy) {
  auto node = default_config();
  node.mutable_cluster()->set_scheduler_policy(scheduler_policy);
  SystemConfig cfg{node, std::chrono::milliseconds::zero()};  // one process: no link to time out
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  // The handles' own memory is touched before the first reading.
  std::vector<caf::actor> held(static_cast<size_t>(actors));
  auto before = resident_bytes();
  for (auto& a : held) a = sys.spawn(idle, caf::actor{self});
  int started = 0;
  self->receive_for(started, actors)([](int) {});
  auto after = resident_bytes();
  for (auto& a : held) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  return (after - before) / actors;
}

BenchCluster::~BenchCluster() { stop_draining(); }

std::map<std::string, double> BenchCluster::metrics(size_t i) const {
  auto text =
      api_request("GET", "http://127.0.0.1:" + std::to_string(metrics_ports_.at(i)), "/metrics");
  if (!text) return {};
  return prometheus_samples(*text);
}

std::chrono::system_clock::time_point BenchCluster::kill_worker(size_t i) {
  stop_draining();  // what the nodes log from now on is for await_coordinator_line
  auto now = std::chrono::system_clock::now();
  nodes_.at(i)->signal(SIGKILL);
  return now;
}

bool BenchCluster::start(const std::string& scheduler_policy, bool metrics,
                         const std::map<std::string, std::string>& env) {
  for (const char* name : {"coord", "w1", "w2"}) {
    ProcessOptions p;
    bool coord = std::string{name} == "coord";
    p.argv = {binary("rad-node"),
              "--node-name",
              name,
              "--data-dir",
              name,
              "--http-port",
              std::to_string(coord ? coord_http_port_ : free_port()),
              "--metrics-port",
              std::to_string(metrics ? metrics_ports_.emplace_back(free_port()) : 0),
              "--max-agents",
              "1000000",
              "--role",
              coord ? "all" : "worker",
              "--cluster-port",
              std::to_string(coord ? coord_port_ : free_port())};
    if (!coord) p.argv.insert(p.argv.end(), {"--join", "127.0.0.1:" + std::to_string(coord_port_)});
    p.cwd = dir_.path();
    p.env = env;
    p.env["RAD_CLUSTER_SCHEDULER_POLICY"] = scheduler_policy;
    node_options_.push_back(p);
    nodes_.push_back(Process::start(p));
  }
  for (auto& n : nodes_)
    if (!n->wait_for_line(kThreeUp, 10s)) {
      std::fprintf(stderr, "the 3-node cluster did not form\n");
      dump();
      return false;
    }
  start_draining();
  return true;
}

bool BenchCluster::kill_and_restart_coordinator() {
  stop_draining();
  nodes_[0]->signal(SIGKILL);
  if (!nodes_[0]->wait_exit(10s)) return false;
  nodes_[0] = Process::start(node_options_[0]);
  bool ready = nodes_[0]->wait_for_line(std::regex{"ready: node"}, 60s).has_value();
  start_draining();
  return ready;
}

BenchCluster::Restart BenchCluster::restart_worker(size_t i, int signo) {
  bool was_draining = draining_;
  stop_draining();
  auto& node = nodes_.at(i);
  node->signal(signo);
  // A drain lets the worker's agents finish first.
  auto outcome = Restart::clean;
  if (!node->wait_exit(kStopWait)) {
    std::fprintf(stderr, "worker %zu (pid %d) did not exit within %lld s of signal %d; kill -9\n",
                 i, node->pid(), static_cast<long long>(kStopWait.count()), signo);
    outcome = Restart::stuck;
    node->signal(SIGKILL);
    if (!node->wait_exit(10s)) outcome = Restart::failed;
  }
  if (outcome != Restart::failed) {
    node = Process::start(node_options_[i]);
    if (!node->wait_for_line(kThreeUp, 30s)) outcome = Restart::failed;
  }
  if (was_draining) start_draining();
  return outcome;
}

std::optional<std::string> BenchCluster::await_coordinator_line(const std::string& pattern,
                                                                std::chrono::seconds timeout) {
  bool was_draining = draining_;
  stop_draining();
  auto line = nodes_[0]->wait_for_line(std::regex{pattern}, timeout);
  if (was_draining) start_draining();
  return line;
}

void BenchCluster::start_draining() {
  draining_ = true;
  drain_ = std::thread{[this] {
    while (draining_)
      for (auto& n : nodes_) n->wait_for_line(std::regex{"^$^"}, 50ms);
  }};
}

void BenchCluster::stop_draining() {
  draining_ = false;
  if (drain_.joinable()) drain_.join();
}

long BenchCluster::false_alarms() {
  stop_draining();
  std::regex alarm_line{"[^\\n]*is now (suspect|down)[^\\n]*"};
  long alarms = 0;
  for (auto& n : nodes_) {
    auto out = n->out();
    for (auto it = std::sregex_iterator(out.begin(), out.end(), alarm_line);
         it != std::sregex_iterator(); ++it, ++alarms)
      std::fprintf(stderr, "%s\n", it->str().c_str());
  }
  return alarms;
}

void BenchCluster::dump() {
  stop_draining();
  for (auto& n : nodes_)
    std::fprintf(stderr, "--- node output\n%s%s\n", n->out().c_str(), n->err().c_str());
}

}  // namespace rad::bench
