#include "chaos/local_cluster.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "chaos/netns_lab.h"
#include "client/api_client.h"
#include "harness/process.h"
#include "runtime/error.h"

namespace rad {
namespace {

bool contains(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

LocalCluster::LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {
  for (const auto& name : options_.nodes)
    nodes_[name] = Node{free_port(), free_port(), free_port(), "127.0.0.1", {}};
}

LocalCluster::~LocalCluster() {
  for (auto& [name, node] : nodes_)
    if (!node.processes.empty() && running(name)) signal(name, SIGKILL);
  for (auto& [name, node] : nodes_)
    if (!node.processes.empty()) node.processes.back()->wait_exit(std::chrono::seconds{5});
  write_logs();
}

std::string LocalCluster::http(const std::string& node) const {
  const auto& n = nodes_.at(node);
  return "http://" + n.address + ":" + std::to_string(n.http_port);
}

std::string LocalCluster::metrics(const std::string& node) const {
  const auto& n = nodes_.at(node);
  return "http://" + n.address + ":" + std::to_string(n.metrics_port);
}

caf::error LocalCluster::launch(const std::string& name) {
  const auto& n = nodes_.at(name);
  bool is_coordinator = name == coordinator();
  const auto& c = options_.cluster;
  ProcessOptions p;
  if (options_.netns) p.argv = options_.netns->exec_in(name);
  p.argv.insert(
      p.argv.end(),
      {options_.rad_node, "--role", is_coordinator ? "all" : "worker", "--node-name", name,
       "--data-dir", options_.work_dir + "/" + name, "--cluster-port",
       std::to_string(n.cluster_port), "--http-port", std::to_string(n.http_port), "--metrics-port",
       std::to_string(n.metrics_port), "--log-format", "json", "--bind", n.address});
  if (!is_coordinator) {
    const auto& seed = nodes_.at(this->coordinator());
    p.argv.insert(p.argv.end(), {"--join", seed.address + ":" + std::to_string(seed.cluster_port)});
  }
  if (c.drain_timeout_ms())
    p.argv.insert(p.argv.end(), {"--drain-timeout-ms", std::to_string(c.drain_timeout_ms())});
  p.env["RAD_CHAOS_ENABLED"] = "true";
  // Spans cost CPU that two cores running a whole cluster do not have.
  p.env["RAD_TRACE_SPANS"] = "false";
  p.env["RAD_USE_REAL_AGENTS"] = options_.real_agents ? "true" : "false";
  if (c.heartbeat_interval_ms())
    p.env["RAD_CLUSTER_HEARTBEAT_INTERVAL_MS"] = std::to_string(c.heartbeat_interval_ms());
  if (c.heartbeat_timeout_ms())
    p.env["RAD_CLUSTER_HEARTBEAT_TIMEOUT_MS"] = std::to_string(c.heartbeat_timeout_ms());
  if (c.adopt_window_ms())
    p.env["RAD_CHECKPOINT_ADOPT_WINDOW_MS"] = std::to_string(c.adopt_window_ms());
  p.cwd = options_.work_dir;
  // The runner starts every node from its one thread: if radctl dies, so do they.
  p.die_with_parent = true;
  try {
    nodes_.at(name).processes.push_back(Process::start(p));
  } catch (const std::exception& e) {
    return make_error(Errc::internal, "cannot start " + name + ": " + e.what());
  }
  return caf::none;
}

caf::error LocalCluster::start(std::chrono::milliseconds timeout) {
  if (options_.netns)
    for (auto& [name, node] : nodes_) {
      node.address = options_.netns->add_node(name);
      if (node.address.empty())
        return make_error(Errc::internal, "cannot make the network namespace of node " + name);
    }
  // A port found free may be taken by another process before a node binds
  // it: then every node starts again on new ones.
  for (int attempt = 1;; ++attempt) {
    auto err = start_once(timeout);
    if (!err || attempt == 3 || !contains(error_message(err), " is in use")) return err;
    for (auto& [name, node] : nodes_) {
      if (!node.processes.empty()) {
        if (running(name)) signal(name, SIGKILL);
        wait_exit(name, std::chrono::seconds{5});
      }
      node.cluster_port = free_port();
      node.http_port = free_port();
      node.metrics_port = free_port();
    }
  }
}

caf::error LocalCluster::start_once(std::chrono::milliseconds timeout) {
  for (const auto& name : options_.nodes)
    if (auto err = launch(name)) return err;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string seen = "no answer from the coordinator";
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& name : options_.nodes)
      if (!running(name)) {
        const auto& p = *nodes_.at(name).processes.back();
        return make_error(Errc::internal, "node " + name + " exited at start: " + p.err() +
                                              p.out().substr(0, 2000));
      }
    if (auto v = view()) {
      size_t up = 0;
      for (const auto& m : v->members()) up += m.state() == v1::MEMBER_STATE_UP;
      if (up == options_.nodes.size()) return caf::none;
      seen = std::to_string(up) + " of " + std::to_string(options_.nodes.size()) + " up";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});  // the poll's pace
  }
  return make_error(Errc::unreachable, "the chaos cluster did not form within " +
                                           std::to_string(timeout.count()) + " ms: " + seen);
}

bool LocalCluster::running(const std::string& node) {
  auto& processes = nodes_.at(node).processes;
  return !processes.empty() && !processes.back()->wait_exit(std::chrono::milliseconds{0});
}

int LocalCluster::pid(const std::string& node) const {
  return static_cast<int>(nodes_.at(node).processes.back()->pid());
}

void LocalCluster::signal(const std::string& node, int signo) {
  nodes_.at(node).processes.back()->signal(signo);
}

std::optional<int> LocalCluster::wait_exit(const std::string& node,
                                           std::chrono::milliseconds timeout) {
  return nodes_.at(node).processes.back()->wait_exit(timeout);
}

caf::error LocalCluster::restart(const std::string& node) {
  if (running(node)) return make_error(Errc::internal, node + " still runs; it cannot restart");
  return launch(node);
}

std::string LocalCluster::output(const std::string& node) const {
  std::string out;
  for (const auto& p : nodes_.at(node).processes) out += p->out() + p->err();
  return out;
}

caf::expected<v1::MembershipView> LocalCluster::view() const {
  v1::MembershipView v;
  if (auto err = api_get(api(), "/v1/nodes", v)) return err;
  return v;
}

void LocalCluster::stop(std::chrono::milliseconds timeout) {
  // Workers first: the coordinator then sees them leave rather than vanish.
  for (auto it = options_.nodes.rbegin(); it != options_.nodes.rend(); ++it)
    if (running(*it)) signal(*it, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& name : options_.nodes) {
    if (nodes_.at(name).processes.empty()) continue;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!wait_exit(name, std::max(left, std::chrono::milliseconds{0}))) {
      signal(name, SIGKILL);
      wait_exit(name, std::chrono::seconds{5});
    }
  }
}

void LocalCluster::write_logs() {
  std::error_code ec;
  if (!std::filesystem::is_directory(options_.work_dir, ec)) return;
  for (const auto& name : options_.nodes)
    std::ofstream{options_.work_dir + "/" + name + ".log"} << output(name);
}

}  // namespace rad
