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
  // A node drops a peer it has not heard from within its connection timeout,
  // and a client waiting for an answer says nothing: without heartbeats, the
  // answer to a long request would go to a closed connection. 10 ms is half
  // the shortest cluster.heartbeat_timeout_ms a node accepts.
  set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{10}});
  // A client mostly waits: its idle threads should sleep, not spin.
  set("scheduler.policy", caf::atom("sharing"));
}

SystemConfig::SystemConfig(const v1::NodeConfig& node,
                           std::chrono::milliseconds silent_link_timeout)
    : SystemConfig() {
  const auto& cluster = node.cluster();
  set("scheduler.policy",
      cluster.scheduler_policy() == "sharing" ? caf::atom("sharing") : caf::atom("stealing"));
  if (cluster.scheduler_threads() > 0)
    set("scheduler.max-threads", static_cast<size_t>(cluster.scheduler_threads()));
  set("middleman.heartbeat-interval",
      caf::timespan{std::chrono::milliseconds{cluster.heartbeat_interval_ms()}});
  set("middleman.connection-timeout", caf::timespan{silent_link_timeout});
}

}  // namespace rad
