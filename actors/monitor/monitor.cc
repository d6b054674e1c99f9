#include "actors/monitor/monitor.h"

#include <algorithm>
#include <caf/typed_event_based_actor.hpp>

#include "runtime/logging.h"
#include "runtime/peer_guard.h"
#include "runtime/proto_bridge.h"

namespace rad {
namespace {

using sample_atom = caf::atom_constant<caf::atom("sample")>;

// The protocol and what the Monitor sends itself.
using monitor_impl = monitor_actor::extend<caf::reacts_to<sample_atom>>;

struct MonitorState {
  MonitorOptions options;
  std::unique_ptr<ResourceSampler> sampler;
  // The agent count of the previous answer: used when the AgentHost is late.
  uint32_t running_agents = 0;
  v1::NodeStats latest;
  static inline const char* name = "rad.monitor";
};

using Self = monitor_impl::stateful_pointer<MonitorState>;

// A zero interval would sample in a busy loop.
constexpr auto kMinInterval = std::chrono::milliseconds{10};

void publish(Self self, const ResourceSample& sample) {
  auto& st = self->state;
  auto admission = admit(sample, st.running_agents, st.options.thresholds);
  // Log changes of the verdict, not every sample.
  if (admission.admits != st.latest.admits()) {
    if (admission.admits)
      logger("monitor")->info("admitting new agents again");
    else
      logger("monitor")->warn("refusing new agents: {}", admission.refusal);
  }
  auto stats = to_node_stats(sample, st.running_agents, admission);
  stats.set_node_id(st.options.node_id);
  stats.set_incarnation(st.options.incarnation);
  if (const auto& commands = st.options.commands) {
    stats.set_exec_running(static_cast<uint32_t>(commands->running()));
    stats.set_exec_waiting(static_cast<uint32_t>(commands->waiting()));
  }
  st.latest = std::move(stats);
  if (st.options.metrics) st.options.metrics->sampled(st.latest);
  if (st.options.views) st.options.views->stats.set(st.latest);
  if (st.options.subscriber) self->send(st.options.subscriber, proto(st.latest));
}

// The agent count first, then the sample: whichever answer comes, the sample
// is taken when it is published.
void tick(Self self) {
  auto& st = self->state;
  self->delayed_send(self, st.options.interval, sample_atom::value);
  if (!st.options.agent_host) {
    publish(self, st.sampler->sample());
    return;
  }
  self->request(st.options.agent_host, st.options.interval, running_atom::value)
      .then(
          [=](uint32_t running) {
            self->state.running_agents = running;
            publish(self, self->state.sampler->sample());
          },
          [=](const caf::error& err) {
            logger("monitor")->debug("no agent count ({}); keeping {}", self->system().render(err),
                                     self->state.running_agents);
            publish(self, self->state.sampler->sample());
          });
}

monitor_impl::behavior_type node_monitor(Self self, MonitorOptions options) {
  guard_against_peers(self, logger("monitor"));
  auto& st = self->state;
  st.options = std::move(options);
  st.options.interval = std::max(st.options.interval, kMinInterval);
  if (st.options.make_sampler) st.sampler = st.options.make_sampler();
  if (!st.sampler) st.sampler = ResourceSampler::for_this_host();
  // A first sample, so stats_atom always has an answer; its cpu_percent is 0.
  st.latest.set_admits(true);
  publish(self, st.sampler->sample());
  self->delayed_send(self, st.options.interval, sample_atom::value);
  return {
      [=](stats_atom) { return proto(self->state.latest); },
      [=](sample_atom) { tick(self); },
  };
}

}  // namespace

monitor_actor spawn_monitor(caf::actor_system& system, MonitorOptions options) {
  return system.spawn(node_monitor, std::move(options));
}

}  // namespace rad
