#include "harness/local_cluster.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "client/api_client.h"
#include "runtime/error.h"

namespace rad {

using Millis = std::chrono::milliseconds;

LocalCluster::LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {
  if (options_.work_dir.empty()) {
    own_dir_ = std::make_unique<TempDir>();
    work_dir_ = own_dir_->path();
  } else {
    work_dir_ = options_.work_dir;
  }
  for (const auto& node : options_.nodes) add(node);
}

LocalCluster::~LocalCluster() {
  kill();
  if (!options_.log_dir.empty()) write_logs(options_.log_dir);
}

void LocalCluster::add(LocalNodeOptions node) {
  auto it = nodes_.find(node.name);
  if (it != nodes_.end()) {
    it->second.options = std::move(node);
    return;
  }
  order_.push_back(node.name);
  auto name = node.name;
  nodes_.emplace(name, Node{std::move(node), free_ports(), {}});
}

LocalCluster::Ports LocalCluster::free_ports() const {
  return {free_port(), free_port(), options_.metrics ? free_port() : uint16_t{0}};
}

const LocalCluster::Node& LocalCluster::at(const std::string& node) const {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) throw std::out_of_range("the local cluster has no node " + node);
  return it->second;
}

std::string LocalCluster::http(const std::string& node) const {
  const auto& n = at(node);
  return "http://" + n.options.host + ":" + std::to_string(n.ports.http);
}

std::string LocalCluster::metrics(const std::string& node) const {
  const auto& n = at(node);
  return "http://" + n.options.host + ":" + std::to_string(n.ports.metrics);
}

Process& LocalCluster::process(const std::string& node) const {
  const auto& processes = at(node).processes;
  if (processes.empty()) throw std::out_of_range("node " + node + " has not started");
  return *processes.back();
}

caf::error LocalCluster::launch(Node& node) {
  const auto& o = node.options;
  ProcessOptions p;
  p.argv = o.launcher;
  p.argv.insert(p.argv.end(),
                {options_.rad_node, "--role", o.role, "--node-name", o.name, "--data-dir", o.name,
                 "--bind", o.host, "--cluster-port", std::to_string(node.ports.cluster),
                 "--http-port", std::to_string(node.ports.http), "--metrics-port",
                 std::to_string(node.ports.metrics), "--log-format", "json"});
  if (o.role == "worker") {
    const auto& seed = at(coordinator());
    p.argv.insert(p.argv.end(),
                  {"--join", seed.options.host + ":" + std::to_string(seed.ports.cluster)});
  }
  p.argv.insert(p.argv.end(), options_.flags.begin(), options_.flags.end());
  p.argv.insert(p.argv.end(), o.flags.begin(), o.flags.end());
  p.env = options_.env;
  for (const auto& [k, v] : o.env) p.env[k] = v;
  p.cwd = work_dir_;
  p.die_with_parent = options_.die_with_parent;
  try {
    node.processes.push_back(Process::start(p));
  } catch (const std::exception& e) {
    return make_error(Errc::internal, "cannot start " + o.name + ": " + e.what());
  }
  return caf::none;
}

caf::error LocalCluster::start_node(LocalNodeOptions node) {
  auto name = node.name;
  add(std::move(node));
  return restart(name);
}

caf::error LocalCluster::restart(const std::string& name) {
  if (running(name)) return make_error(Errc::internal, name + " still runs; it cannot start again");
  return launch(nodes_.at(name));
}

caf::error LocalCluster::start(Millis timeout) {
  for (int attempt = 1;; ++attempt) {
    auto err = start_once(timeout);
    if (!err || attempt == 3 || error_message(err).find(" is in use") == std::string::npos)
      return err;
    kill();
    for (auto& [name, node] : nodes_) node.ports = free_ports();
  }
}

caf::error LocalCluster::start_once(Millis timeout) {
  for (const auto& name : order_)
    if (auto err = launch(nodes_.at(name))) return err;
  return await_up(timeout);
}

caf::error LocalCluster::await_up(Millis timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string seen = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& name : order_)
      if (!running(name)) {
        const auto& p = process(name);
        return make_error(Errc::internal, "node " + name + " exited at start: " + p.err() +
                                              p.out().substr(0, 2000));
      }
    size_t agree = 0;
    for (const auto& name : order_) {
      auto v = view_of(name);
      if (!v) {
        seen = name + ": " + error_message(v.error());
        break;
      }
      size_t up = 0;
      for (const auto& m : v->members())
        up += nodes_.count(m.node().name()) && m.state() == v1::MEMBER_STATE_UP;
      if (up < order_.size()) {
        seen =
            name + " sees " + std::to_string(up) + " of " + std::to_string(order_.size()) + " up";
        break;
      }
      ++agree;
    }
    if (agree == order_.size()) return caf::none;
    std::this_thread::sleep_for(Millis{50});  // the poll's pace
  }
  return make_error(Errc::unreachable, "the cluster did not form within " +
                                           std::to_string(timeout.count()) + " ms: " + seen);
}

bool LocalCluster::running(const std::string& node) {
  const auto& processes = at(node).processes;
  return !processes.empty() && !processes.back()->wait_exit(Millis{0});
}

std::string LocalCluster::output(const std::string& node) const {
  std::string out;
  for (const auto& p : at(node).processes) out += p->out() + p->err();
  return out;
}

void LocalCluster::write_logs(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (const auto& name : order_) std::ofstream{dir + "/" + name + ".log"} << output(name);
}

caf::expected<v1::MembershipView> LocalCluster::view_of(const std::string& node) const {
  v1::MembershipView v;
  if (auto err = api_get(http(node), "/v1/nodes", v)) return err;
  return v;
}

void LocalCluster::stop(Millis timeout) {
  for (auto it = order_.rbegin(); it != order_.rend(); ++it)
    if (running(*it)) signal(*it, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& name : order_) {
    if (at(name).processes.empty()) continue;
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (!wait_exit(name, std::max(left, Millis{0}))) {
      signal(name, SIGKILL);
      wait_exit(name, std::chrono::seconds{5});
    }
  }
}

void LocalCluster::kill() {
  for (const auto& name : order_)
    if (running(name)) signal(name, SIGKILL);
  for (const auto& name : order_)
    if (!at(name).processes.empty()) wait_exit(name, std::chrono::seconds{5});
}

}  // namespace rad
