#include "actors/node.h"

#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include <caf/io/middleman.hpp>
#include <caf/node_id.hpp>
#include <caf/send.hpp>
#include <chrono>
#include <thread>

#include "actors/node_agent.h"
#include "runtime/error.h"
#include "runtime/logging.h"
#include "runtime/port_check.h"
#include "runtime/protocol.h"
#include "runtime/version.h"

namespace rad {
namespace {

v1::Role role_of(const std::string& role) {
  if (role == "coordinator") return v1::ROLE_COORDINATOR;
  if (role == "worker") return v1::ROLE_WORKER;
  return v1::ROLE_ALL;
}

uint64_t physical_memory_bytes() {
  long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * page_size : 0;
}

v1::NodeInfo describe(const v1::NodeConfig& config, caf::actor_system& system) {
  using google::protobuf::util::TimeUtil;
  v1::NodeInfo info;
  info.set_node_id(caf::to_string(system.node()));
  info.set_name(config.node_name());
  info.set_address(config.bind() + ":" + std::to_string(config.cluster_port()));
  info.set_role(role_of(config.role()));
  // Wall-clock milliseconds grow across restarts of the same node.
  auto now = std::chrono::system_clock::now();
  info.set_incarnation(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count()));
  info.mutable_capacity()->set_max_agents(config.agents().max_agents());
  info.mutable_capacity()->set_cpu_cores(std::thread::hardware_concurrency());
  info.mutable_capacity()->set_memory_bytes(physical_memory_bytes());
  info.set_version(kVersion);
  info.set_protocol_version(kProtocolVersion);
  *info.mutable_started_at() = TimeUtil::GetCurrentTime();
  return info;
}

}  // namespace

caf::expected<std::unique_ptr<Node>> Node::start(const v1::NodeConfig& config) {
  auto log = logger("node");
  std::unique_ptr<Node> node{new Node};
  node->config_ = config;
  auto port = static_cast<uint16_t>(config.cluster_port());
  if (auto err = check_port_free(config.bind(), port, "cluster port", "cluster-port")) return err;
  auto lock = DataDirLock::acquire(config.data_dir());
  if (!lock) return lock.error();
  node->lock_ = std::move(*lock);

  node->caf_config_ = std::make_unique<SystemConfig>(config);
  node->system_ = std::make_unique<caf::actor_system>(*node->caf_config_);
  node->info_ = describe(config, *node->system_);
  node->agent_ = node->system_->spawn(node_agent, node->info_);

  auto published =
      node->system_->middleman().publish(node->agent_, port, config.bind().c_str(), true);
  if (!published) {
    std::string why = node->system_->render(published.error());
    node->stop();
    return make_error(Errc::in_use,
                      "cannot listen on " + config.bind() + ":" + std::to_string(port) +
                          " (cluster port): " + why +
                          "; stop the process using it or pick another --cluster-port");
  }
  log->info("node {} ({}) listening on {}, data dir {}", node->info_.name(), config.role(),
            node->info_.address(), config.data_dir());
  return node;
}

Node::~Node() { stop(); }

void Node::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (system_) {
    if (agent_) {
      system_->middleman().unpublish(agent_, static_cast<uint16_t>(config_.cluster_port()));
      caf::anon_send_exit(agent_, caf::exit_reason::user_shutdown);
      agent_ = nullptr;
    }
    // Joins every actor and the middleman's threads.
    system_.reset();
  }
  lock_.reset();
}

}  // namespace rad
