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

SystemConfig::SystemConfig(const v1::NodeConfig& node) : SystemConfig() {
  const auto& cluster = node.cluster();
  set("scheduler.policy",
      cluster.scheduler_policy() == "sharing" ? caf::atom("sharing") : caf::atom("stealing"));
  if (cluster.scheduler_threads() > 0)
    set("scheduler.max-threads", static_cast<size_t>(cluster.scheduler_threads()));
  set("middleman.heartbeat-interval",
      caf::timespan{std::chrono::milliseconds{cluster.heartbeat_interval_ms()}});
  // A hung or cut-off peer is rad's to judge (actors/pulse.h): a lost
  // connection counts as a dead process, so CAF closes a silent one only
  // once the peer has surely stopped its agents (its lease and their stop
  // time passed, twice over); without a timeout it would never close.
  auto lease = std::chrono::milliseconds{cluster.lease_ms()} + std::chrono::seconds{2} +
               std::chrono::milliseconds{cluster.heartbeat_timeout_ms()};
  set("middleman.connection-timeout", caf::timespan{2 * lease});
}

}  // namespace rad
