// A running rad node: its data dir, actor system and published NodeAgent.
//
//   auto node = rad::Node::start(config);     // errors: port or data dir in use...
//   if (!node) { ...error_message(node.error())...; }
//   signals.wait();
//   (*node)->stop();
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <memory>

#include "persistence/data_dir_lock.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/config.pb.h"
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

  // Closes the cluster port and stops every actor; idempotent.
  void stop();

 private:
  Node() = default;

  v1::NodeConfig config_;
  v1::NodeInfo info_;
  std::unique_ptr<DataDirLock> lock_;
  std::unique_ptr<SystemConfig> caf_config_;
  std::unique_ptr<caf::actor_system> system_;
  caf::actor agent_;
  bool stopped_ = false;
};

}  // namespace rad
