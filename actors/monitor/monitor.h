// Monitor (every node): samples this node's resources every interval, counts
// its running agents, and keeps the latest NodeStats with the admission
// verdict that placement uses. Its messages are protocol/monitor.h: asked, it
// answers the latest sample (there is one from the start); each new sample
// also goes to the subscriber, if any.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "actors/drivers/command_runner.h"
#include "actors/monitor/admission.h"
#include "actors/monitor/monitor_metrics.h"
#include "actors/monitor/resource_sampler.h"
#include "actors/node_views.h"
#include "protocol/agent_host.h"
#include "protocol/monitor.h"
#include "rad/v1/cluster.pb.h"

namespace rad {

struct MonitorOptions {
  // Also the window of cpu_percent. Shorter than 10 ms is taken as 10 ms.
  std::chrono::milliseconds interval{1000};
  AdmissionThresholds thresholds;
  // Empty, or returning null: ResourceSampler::for_this_host().
  std::function<std::unique_ptr<ResourceSampler>()> make_sampler = &ResourceSampler::for_this_host;
  // Asked for running_atom every interval; null: no agents run here.
  agent_host_actor agent_host;
  std::string node_id;
  uint64_t incarnation = 0;
  // Whose commands are counted in every sample; null: no commands run here.
  std::shared_ptr<const CommandRunner> commands;
  // Sent every new sample (the membership, which puts it in its heartbeats).
  stats_subscriber_actor subscriber;
  // Where every sample is shown; none: nowhere.
  std::shared_ptr<MonitorMetrics> metrics;
  // Where every sample is published for /health; none: nowhere.
  std::shared_ptr<NodeViews> views;
};

monitor_actor spawn_monitor(caf::actor_system& system, MonitorOptions options);

}  // namespace rad
