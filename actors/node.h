// A running rad node: its data dir, actor system, published NodeAgent and
// HTTP endpoints.
//
//   rad::ShutdownSignals signals;               // before any thread
//   auto node = rad::Node::start(config);       // port or data dir in use, bad roles...
//   int signo = signals.wait();
//   if (auto err = (*node)->fatal_error()) ...  // the node asked to stop (SIGUSR1)
//   (*node)->stop();                            // a worker leaves the cluster first
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <memory>
#include <mutex>
#include <vector>

#include "persistence/data_dir_lock.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/config.pb.h"
#include "runtime/http_server.h"
#include "runtime/system_config.h"

namespace rad {

class Node {
 public:
  static caf::expected<std::unique_ptr<Node>> start(const v1::NodeConfig& config);

  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const v1::NodeInfo& info() const { return info_; }
  caf::actor_system& system() { return *system_; }
  caf::actor agent() const { return agent_; }

  // Set when the node cannot go on (refused by the coordinator, no seed
  // reachable); it then raises SIGUSR1, which ShutdownSignals::wait() returns.
  caf::error fatal_error() const;

  // Leaves the cluster (workers), closes the ports and stops every actor.
  void stop();

 private:
  Node() = default;
  void set_fatal(const caf::error& err);

  v1::NodeConfig config_;
  v1::NodeInfo info_;
  std::unique_ptr<DataDirLock> lock_;
  std::unique_ptr<SystemConfig> caf_config_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<HttpServer> http_;
  caf::actor agent_;
  // The AgentHost and Dispatcher, where this node has them.
  std::vector<caf::actor> helpers_;
  bool stopped_ = false;
  mutable std::mutex fatal_mutex_;
  caf::error fatal_;
};

}  // namespace rad
