// A running rad node: its data dir, actor system, published membership actor
// (actors/coordinator_membership.h or actors/worker_membership.h, by its role)
// and HTTP endpoints.
//
//   rad::ShutdownSignals signals;               // before any thread
//   auto node = rad::Node::start(config);       // port or data dir in use, bad roles...
//   (or Node::start(config, extension): actors/node_extension.h)
//   int signo = signals.wait();
//   if (auto err = (*node)->fatal_error()) ...  // the node asked to stop (SIGUSR1)
//   (*node)->begin_drain(deadline);             // optional: let running agents finish
//   signals.wait() ...                          // SIGUSR1 again when drained
//   (*node)->stop();                            // cancels what still runs; a worker leaves
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>

#include "actors/drivers/command_runner.h"
#include "actors/node_extension.h"
#include "persistence/data_dir_lock.h"
#include "protocol/agent_host.h"
#include "protocol/checkpoint.h"
#include "protocol/dispatcher.h"
#include "protocol/membership.h"
#include "protocol/monitor.h"
#include "protocol/pulse.h"
#include "protocol/supervisor.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/config.pb.h"
#include "runtime/http_server.h"
#include "runtime/metrics.h"
#include "runtime/system_config.h"

namespace rad {

class Node {
 public:
  // `extension`: what the node is built with besides `config`; null: nothing.
  static caf::expected<std::unique_ptr<Node>> start(
      const v1::NodeConfig& config, std::shared_ptr<NodeExtension> extension = nullptr);

  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const v1::NodeInfo& info() const { return info_; }
  caf::actor_system& system() { return *system_; }
  membership_actor membership() const { return membership_; }

  // Set when the node cannot go on (refused by the coordinator, no seed
  // reachable); it then raises SIGUSR1, which ShutdownSignals::wait() returns.
  caf::error fatal_error() const;

  // True when the node runs agents (role all or worker).
  bool runs_agents() const { return static_cast<bool>(agent_host_); }

  // Begins a graceful drain: the node takes no new agents and the coordinator
  // places nothing more here. Once the running agents have finished and their
  // results are sent, or `deadline` passed first, the node raises SIGUSR1
  // (which ShutdownSignals::wait() returns) and drain_state() tells which.
  void begin_drain(std::chrono::milliseconds deadline);
  enum class Drain { not_started, running, finished, deadline_passed };
  Drain drain_state() const;

  // Cancels the agents still running and sends their results, leaves the
  // cluster (workers), closes the ports and stops every actor.
  void stop();

 private:
  Node() = default;
  void set_fatal(const caf::error& err);
  void set_drain_state(Drain state);

  v1::NodeConfig config_;
  std::shared_ptr<NodeExtension> extension_;
  v1::NodeInfo info_;
  std::unique_ptr<DataDirLock> lock_;
  // Before the actor system: its actors count into it until they are gone.
  std::shared_ptr<Metrics> metrics_;
  std::unique_ptr<SystemConfig> caf_config_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<HttpServer> http_, metrics_http_;
  // Published on the cluster port; on a worker, also worker_membership_.
  membership_actor membership_;
  worker_membership_actor worker_membership_;
  // This node's commands; none on a coordinator-only node.
  std::shared_ptr<CommandRunner> commands_;
  // Where this node has them.
  agent_host_actor agent_host_;
  dispatcher_actor dispatcher_;
  pulse_actor pulse_;
  supervisor_actor supervisor_;
  monitor_actor monitor_;
  checkpoint_actor checkpoint_;
  // The detached ones (the Pulse, the Checkpoint): ready once each has sent
  // its last notice on exit. stop() waits for them before the actor system
  // stops its middleman, or a node may never exit (see stop()).
  std::future<void> pulse_done_, checkpoint_done_;
  bool stopped_ = false;
  // Set from actor threads, read by the thread that waits for signals.
  mutable std::mutex events_mutex_;
  caf::error fatal_;
  Drain drain_ = Drain::not_started;
};

}  // namespace rad
