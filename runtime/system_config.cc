#include "runtime/system_config.h"

#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>
#include <caf/timespan.hpp>
#include <chrono>

#include "runtime/protocol.h"

namespace rad {

SystemConfig::SystemConfig() {
  load<caf::io::middleman>();
  register_protocol(*this);
}

SystemConfig::SystemConfig(const v1::NodeConfig& node) : SystemConfig() {
  const auto& cluster = node.cluster();
  set("scheduler.policy",
      cluster.scheduler_policy() == "sharing" ? caf::atom("sharing") : caf::atom("stealing"));
  if (cluster.scheduler_threads() > 0)
    set("scheduler.max-threads", static_cast<size_t>(cluster.scheduler_threads()));
  // Without both, CAF never notices a hung or cut-off peer (shared/CAF-0.17-NOTES.md).
  set("middleman.heartbeat-interval",
      caf::timespan{std::chrono::milliseconds{cluster.heartbeat_interval_ms()}});
  set("middleman.connection-timeout",
      caf::timespan{std::chrono::milliseconds{cluster.heartbeat_timeout_ms()}});
}

}  // namespace rad
