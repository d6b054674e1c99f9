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
#include "runtime/error.h"
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

PeakResident::PeakResident(pid_t pid)
    : peak_(resident_bytes(pid)), sampler_([this, pid] {
        while (!stop_.load()) {
          peak_.store(std::max(peak_.load(), resident_bytes(pid)));
          std::this_thread::sleep_for(std::chrono::milliseconds{5});  // the sampling period
        }
      }) {}

PeakResident::~PeakResident() {
  stop_.store(true);
  sampler_.join();
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

double bare_caf_idle_actor_bytes(int actors, const std::string& scheduler_policy,
                                 const std::function<void()>& while_idle) {
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
  if (while_idle) while_idle();
  for (auto& a : held) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  return (after - before) / actors;
}

std::vector<uint16_t> BenchCluster::metrics_ports() const {
  std::vector<uint16_t> ports;
  for (const auto& node : cluster_->nodes())
    if (auto port = cluster_->ports(node).metrics) ports.push_back(port);
  return ports;
}

std::map<std::string, double> BenchCluster::metrics(size_t i) const {
  auto text = api_request("GET", cluster_->metrics(name(i)), "/metrics");
  if (!text) return {};
  return prometheus_samples(*text);
}

bool BenchCluster::start(const std::string& scheduler_policy, bool metrics,
                         const std::map<std::string, std::string>& env) {
  LocalClusterOptions o;
  o.nodes = {{"coord", "all"}, {"w1"}, {"w2"}};
  o.metrics = metrics;
  o.env = env;
  o.env["RAD_CLUSTER_SCHEDULER_POLICY"] = scheduler_policy;
  o.flags = {"--max-agents", "1000000"};
  cluster_ = std::make_unique<LocalCluster>(std::move(o));
  if (auto err = cluster_->start(30s)) {
    std::fprintf(stderr, "the 3-node cluster did not form: %s\n", error_message(err).c_str());
    dump();
    return false;
  }
  return true;
}

std::chrono::system_clock::time_point BenchCluster::kill_worker(size_t i) {
  cluster_->process(name(0)).skip_output();
  auto now = std::chrono::system_clock::now();
  cluster_->signal(name(i), SIGKILL);
  return now;
}

bool BenchCluster::kill_and_restart_coordinator() {
  cluster_->signal(name(0), SIGKILL);
  if (!cluster_->wait_exit(name(0), 10s) || cluster_->restart(name(0))) return false;
  return cluster_->process(name(0)).wait_for_line(std::regex{"ready: node"}, 60s).has_value();
}

BenchCluster::Restart BenchCluster::restart_worker(size_t i, int signo) {
  const auto& node = name(i);
  cluster_->signal(node, signo);
  // A drain lets the worker's agents finish first.
  auto outcome = Restart::clean;
  if (!cluster_->wait_exit(node, kStopWait)) {
    std::fprintf(stderr, "worker %zu (pid %d) did not exit within %lld s of signal %d; kill -9\n",
                 i, cluster_->pid(node), static_cast<long long>(kStopWait.count()), signo);
    outcome = Restart::stuck;
    cluster_->signal(node, SIGKILL);
    if (!cluster_->wait_exit(node, 10s)) outcome = Restart::failed;
  }
  if (outcome != Restart::failed &&
      (cluster_->restart(node) || !cluster_->process(node).wait_for_line(kThreeUp, 30s)))
    outcome = Restart::failed;
  return outcome;
}

std::optional<std::string> BenchCluster::await_coordinator_line(const std::string& pattern,
                                                                std::chrono::seconds timeout) {
  return cluster_->process(name(0)).wait_for_line(std::regex{pattern}, timeout);
}

long BenchCluster::false_alarms() {
  std::regex alarm_line{"[^\\n]*is now (suspect|down)[^\\n]*"};
  long alarms = 0;
  for (const auto& node : cluster_->nodes()) {
    auto out = cluster_->output(node);
    for (auto it = std::sregex_iterator(out.begin(), out.end(), alarm_line);
         it != std::sregex_iterator(); ++it, ++alarms)
      std::fprintf(stderr, "%s\n", it->str().c_str());
  }
  return alarms;
}

void BenchCluster::dump() {
  for (const auto& node : cluster_->nodes())
    std::fprintf(stderr, "--- %s output\n%s\n", node.c_str(), cluster_->output(node).c_str());
}

}  // namespace rad::bench
