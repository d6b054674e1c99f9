#include "faults/chaos_extension.h"

#include <caf/send.hpp>

#include "faults/agent_killer.h"
#include "faults/chaos.h"
#include "faults/chaos_api.h"
#include "faults/chaos_metrics.h"
#include "faults/link_faults.h"
#include "faults/write_faults.h"
#include "runtime/logging.h"

namespace rad {
namespace {

class ChaosExtension : public NodeExtension {
 public:
  explicit ChaosExtension(bool enabled) : enabled_(enabled) {}

  std::shared_ptr<StoreWriteHook> store_write_hook() override {
    if (enabled_) writes_ = std::make_shared<WriteFaults>();
    return writes_;
  }

  std::shared_ptr<AgentObserver> agent_observer() override {
    if (enabled_) agents_ = std::make_shared<AgentKiller>();
    return agents_;
  }

  void started(const NodeParts& node) override {
    if (node.metrics) node.metrics->add_collectable(std::make_shared<ChaosMetrics>());
    if (enabled_) {
      set_link_hook(&LinkFaults::instance());
      chaos_ = spawn_chaos(
          node.system, ChaosOptions{node.config.node_name(), node.membership, agents_, writes_});
      logger("node")->warn(
          "chaos is enabled: anyone reaching {}:{} can inject faults into this node",
          node.config.bind(), node.config.http_port());
    }
    add_chaos_routes(node.http, node.system, chaos_);
  }

  void stopping() override {
    if (chaos_) caf::anon_send_exit(chaos_, caf::exit_reason::user_shutdown);
    chaos_ = nullptr;
    if (!enabled_) return;
    set_link_hook(nullptr);
    LinkFaults::instance().clear();
  }

 private:
  const bool enabled_;
  std::shared_ptr<WriteFaults> writes_;  // with a store
  std::shared_ptr<AgentKiller> agents_;  // with an AgentHost
  chaos_actor chaos_;
};

}  // namespace

std::shared_ptr<NodeExtension> chaos_extension(const v1::NodeConfig& config) {
  return std::make_shared<ChaosExtension>(config.chaos().enabled());
}

}  // namespace rad
