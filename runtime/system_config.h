// The CAF configuration of a rad process: the middleman, rad's protocol, and
// the scheduler and cluster-link settings of the node's config.
#pragma once

#include <caf/actor_system_config.hpp>
#include <chrono>

#include "rad/v1/config.pb.h"

namespace rad {

class SystemConfig : public caf::actor_system_config {
 public:
  // Settings for a node. `silent_link_timeout`: how long CAF keeps a link
  // that carries nothing (a hung or cut-off peer is rad's to judge first:
  // actors/pulse.h); without one it would never close.
  SystemConfig(const v1::NodeConfig& node, std::chrono::milliseconds silent_link_timeout);
  // Settings for a client of a node (radctl, tests): middleman, protocol and
  // heartbeats frequent enough that no node drops the client while it waits.
  SystemConfig();
};

}  // namespace rad
