#include "actors/coordinator_membership.h"

#include <spdlog/logger.h>

#include <algorithm>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/membership_table.h"
#include "runtime/link_envelope.h"
#include "runtime/logging.h"
#include "runtime/peer_guard.h"
#include "runtime/protocol.h"
#include "runtime/trace.h"

namespace rad {
namespace {

// Its tick: the table's deadlines, and a heartbeat to every live member.
using tick_atom = caf::atom_constant<caf::atom("tick")>;

using coordinator_impl = coordinator_membership_actor::extend<caf::reacts_to<tick_atom>>;

struct CoordinatorState {
  CoordinatorMembershipOptions options;
  std::shared_ptr<spdlog::logger> log;
  std::chrono::milliseconds interval{100};
  std::unique_ptr<MembershipTable> table;
  std::map<std::string, worker_membership_actor> member_agents;  // by node id
  std::map<std::string, agent_host_actor> member_hosts;          // their AgentHosts, by node id
  v1::MembershipView announced;                                  // the view last pushed
  // Members the Pulse found silent: how long their work waits for their
  // lease to run out (none: down because the connection was lost).
  std::map<std::string, uint32_t> lease_holds;
  bool draining = false;
  uint64_t heartbeat_seq = 0;
  v1::NodeStats stats;  // the Monitor's latest
  static inline const char* name = "rad.coordinator_membership";
};

using Self = coordinator_impl::stateful_pointer<CoordinatorState>;

v1::Heartbeat next_heartbeat(Self self) {
  auto& st = self->state;
  return make_heartbeat(st.options.info, ++st.heartbeat_seq, st.stats);
}

// Whether the node may take work: ready_atom's answer.
Verdict readiness(Self self) {
  auto& st = self->state;
  if (st.draining) return {false, "draining: takes no new agents"};
  return {true, "coordinator of " + std::to_string(st.table->view().members_size()) + " members"};
}

// The view and readiness for the HTTP routes, and the view and how long ago
// each member was heard for /metrics: on every tick (so their age tells
// whether this actor runs) and on every change.
void export_metrics(Self self) {
  auto& st = self->state;
  const auto& view = st.table->view();
  publish_views(st.options, view, readiness(self));
  if (!st.options.metrics) return;
  std::map<std::string, double> ages;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  double now_s = std::chrono::duration<double>(now).count();
  for (const auto& m : view.members()) {
    if (m.node().node_id() == st.options.info.node_id() || !is_live(m)) continue;
    const auto& heard = m.last_heartbeat();
    ages[m.node().name()] = now_s - (heard.seconds() + heard.nanos() / 1e9);
  }
  export_membership(st.options, view, ages);
}

// Up, running agents, and admitting by its Monitor's verdict.
bool hosts_agents(const v1::Member& m) {
  return m.state() == v1::MEMBER_STATE_UP &&
         (m.node().role() == v1::ROLE_WORKER || m.node().role() == v1::ROLE_ALL) &&
         (!m.has_stats() || m.stats().admits());
}

// Tells the Dispatcher which nodes take agents now, with their AgentHosts: up
// members that host agents.
void update_dispatcher(Self self) {
  auto& st = self->state;
  if (!st.options.dispatcher) return;
  std::vector<std::string> ids;
  std::vector<agent_host_actor> hosts;
  std::vector<uint32_t> exec_slots;
  for (const auto& m : st.table->view().members()) {
    if (!hosts_agents(m)) continue;
    const auto& id = m.node().node_id();
    agent_host_actor host;
    if (id == st.options.info.node_id())
      host = st.options.agent_host;
    else if (auto it = st.member_hosts.find(id); it != st.member_hosts.end())
      host = it->second;
    if (!host) continue;
    ids.push_back(id);
    hosts.push_back(std::move(host));
    exec_slots.push_back(m.node().capacity().exec_slots());
  }
  self->send(st.options.dispatcher, members_atom::value, std::move(ids), std::move(hosts),
             std::move(exec_slots));
}

// Members that went down or left since the last announced view.
std::vector<std::string> newly_gone(const v1::MembershipView& before,
                                    const v1::MembershipView& after) {
  std::vector<std::string> ids;
  for (const auto& m : after.members()) {
    if (is_live(m)) continue;
    bool was_gone = std::any_of(
        before.members().begin(), before.members().end(),
        [&](const auto& o) { return o.node().node_id() == m.node().node_id() && !is_live(o); });
    if (!was_gone) ids.push_back(m.node().node_id());
  }
  return ids;
}

void forget_agent(Self self, const std::string& node_id) {
  self->state.member_hosts.erase(node_id);
  auto it = self->state.member_agents.find(node_id);
  if (it == self->state.member_agents.end()) return;
  self->demonitor(it->second.address());
  self->state.member_agents.erase(it);
}

// Members the table no longer keeps (MembershipTable::kDepartedKept) are
// forgotten here and by the Pulse too.
void forget_dropped(Self self) {
  for (const auto& id : self->state.table->take_dropped()) {
    forget_agent(self, id);
    if (self->state.options.pulse) self->send(self->state.options.pulse, forget_atom::value, id);
  }
}

void announce(Self self) {
  auto& st = self->state;
  const auto& view = st.table->view();
  publish_views(st.options, view, readiness(self));
  if (view.version() == st.announced.version()) return;
  forget_dropped(self);
  update_dispatcher(self);
  // A member that left sent its agents' results ahead of its leave notice:
  // whatever the Dispatcher still finds pending there never comes, and the
  // Dispatcher forgets the node.
  if (st.options.dispatcher)
    for (auto& id : newly_gone(st.announced, view)) {
      uint32_t hold = 0;
      if (auto it = st.lease_holds.find(id); it != st.lease_holds.end()) {
        hold = it->second;
        st.lease_holds.erase(it);
      }
      self->send(st.options.dispatcher, node_lost_atom::value, std::move(id), hold);
    }
  log_changes(*st.log, st.announced, view);
  st.log->info("view {}", summary(view));
  st.announced = view;
  export_metrics(self);
  auto pushed = proto(view);
  traced(pushed.value);
  for (const auto& m : view.members()) {
    auto it = st.member_agents.find(m.node().node_id());
    if (it != st.member_agents.end() && is_live(m)) link_send(self, it->second, pushed);
  }
}

v1::JoinReply admit(Self self, const v1::JoinRequest& request, const caf::actor& host) {
  auto& st = self->state;
  auto decision = st.table->join(request);
  v1::JoinReply reply;
  traced(reply, request.trace().traceparent());
  reply.set_accepted(decision.accepted);
  reply.set_fenced(decision.fenced);
  reply.set_refusal(decision.refusal);
  const auto& node = request.node();
  if (!decision.accepted) {
    st.log->warn("refused node {} at {}: {}", node.name(), node.address(), decision.refusal);
    return reply;
  }
  if (!decision.replaced.empty()) {
    st.log->info("node {} rejoined as incarnation {}, replacing {}", node.name(),
                 node.incarnation(), decision.replaced);
    forget_agent(self, decision.replaced);
    if (st.options.pulse) self->send(st.options.pulse, forget_atom::value, decision.replaced);
    // A new process: the old one is gone, and its agents with it.
    if (st.options.dispatcher)
      self->send(st.options.dispatcher, node_lost_atom::value, decision.replaced, uint32_t{0});
  }
  // Unchecked: a peer's actors cross the link untyped.
  auto agent = caf::actor_cast<worker_membership_actor>(self->current_sender());
  forget_agent(self, node.node_id());
  self->monitor(agent);
  st.member_agents[node.node_id()] = agent;
  if (host) st.member_hosts[node.node_id()] = caf::actor_cast<agent_host_actor>(host);
  if (st.options.pulse)
    self->send(st.options.pulse, watch_atom::value, node.node_id(), node.incarnation());
  *reply.mutable_view() = st.table->view();
  reply.set_gone_hold_ms(static_cast<uint32_t>(st.options.gone_hold.count()));
  announce(self);
  return reply;
}

// The Pulse's verdict on a member's silence.
void judged(Self self, const std::string& node_id, uint64_t incarnation, const std::string& state,
            const std::string& reason, uint32_t hold_ms) {
  auto& st = self->state;
  auto* m = st.table->find(node_id);
  if (!m || m->node().incarnation() != incarnation) return;  // about an incarnation gone since
  if (state == "down") {
    if (st.table->mark_down(node_id, reason)) st.lease_holds[node_id] = hold_ms;
  } else if (state == "suspect") {
    st.table->suspect(node_id, reason);
  } else {
    st.table->revive(node_id);
  }
  announce(self);
}

void tick(Self self) {
  auto& st = self->state;
  st.table->check();
  announce(self);
  auto hb = proto(next_heartbeat(self));
  hb.value.set_view_version(st.table->view().version());
  for (const auto& [id, agent] : st.member_agents) {
    auto* m = st.table->find(id);
    if (m && is_live(*m)) link_send(self, agent, hb);
  }
}

void member_heartbeat(Self self, const v1::Heartbeat& hb) {
  auto& st = self->state;
  switch (st.table->heartbeat(hb)) {
    case MembershipTable::Heard::current:
      announce(self);
      break;
    case MembershipTable::Heard::declared_down: {
      // It was cut off long enough to be declared down: it must come back as
      // a new incarnation, so that nothing it did before counts twice.
      v1::JoinReply fence;
      traced(fence, hb.trace().traceparent());
      fence.set_fenced(true);
      fence.set_refusal("declared down: " + st.table->find(hb.node_id())->reason());
      link_send(self, caf::actor_cast<worker_membership_actor>(self->current_sender()),
                proto(fence));
      break;
    }
    case MembershipTable::Heard::unknown:
    case MembershipTable::Heard::stale_incarnation:
      st.log->debug("dropped heartbeat of {} incarnation {}", hb.node_id(), hb.incarnation());
      break;
  }
}

// Places nothing more on this node: it drains.
void start_draining(Self self) {
  auto& st = self->state;
  if (st.draining) return;
  st.draining = true;
  publish_views(st.options, st.table->view(), readiness(self));
  st.log->info("draining: taking no new agents");
  const auto& info = st.options.info;
  if (st.table->drain(info.node_id(), info.incarnation(), "draining")) announce(self);
}

coordinator_impl::behavior_type coordinator_membership(Self self,
                                                       CoordinatorMembershipOptions options) {
  auto& st = self->state;
  st.options = std::move(options);
  st.log = logger("membership");
  guard_against_peers(self, st.log);
  const auto& cluster = st.options.config.cluster();
  st.interval = std::chrono::milliseconds{cluster.heartbeat_interval_ms()};
  st.table = std::make_unique<MembershipTable>(st.options.info,
                                               MembershipOptions{cluster.name(), cluster.secret()});
  announce(self);
  self->send(self, tick_atom::value);

  // A member's connection is lost: it is down at once.
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    for (const auto& [id, agent] : st.member_agents) {
      if (agent.address() != dm.source) continue;
      std::string node_id = id;
      st.member_agents.erase(node_id);
      if (st.table->mark_down(node_id, "connection lost")) announce(self);
      return;
    }
  });

  return {
      [=](const Proto<v1::Ping>& ping) {
        return answer_ping(self->state.options.info, ping.value, *self->state.log);
      },
      [=](const Proto<v1::JoinRequest>& request, const caf::actor& host) {
        return proto(admit(self, request.value, host));
      },
      // A node of another protocol joins with the request alone: the table
      // refuses its version, and says so on both sides.
      [=](const Proto<v1::JoinRequest>& request) {
        if (request.value.protocol_version() != kProtocolVersion)
          return proto(admit(self, request.value, caf::actor{}));
        return proto(refused_join_without_host(request.value));
      },
      [=](monitor_atom, const monitor_actor& monitor) {
        auto& st = self->state;
        if (takes_monitor(st.options.monitor, monitor, self->node())) st.options.monitor = monitor;
      },
      // Its own samples go straight to the table: it is its own member.
      [=](const Proto<v1::NodeStats>& stats) {
        auto& st = self->state;
        if (!st.options.monitor || self->current_sender() != st.options.monitor.address()) return;
        st.stats = stats.value;
        member_heartbeat(self, next_heartbeat(self));
      },
      [=](view_atom) { return proto(self->state.table->view()); },
      [=](ready_atom) {
        auto verdict = readiness(self);
        return caf::result<bool, std::string>{verdict.ok, std::move(verdict.message)};
      },
      [=](drain_atom) {
        start_draining(self);
        return true;
      },
      [=](const Proto<v1::Heartbeat>& hb) { member_heartbeat(self, hb.value); },
      [=](const Proto<v1::LeaveNotice>& notice) {
        auto& st = self->state;
        const auto& n = notice.value;
        if (n.draining()) {
          if (st.table->drain(n.node_id(), n.incarnation(), n.reason())) announce(self);
        } else if (st.table->leave(n.node_id(), n.incarnation(), n.reason())) {
          forget_agent(self, n.node_id());
          if (st.options.pulse) self->send(st.options.pulse, forget_atom::value, n.node_id());
          announce(self);
        }
        return true;
      },
      [=](pulse_atom) { return caf::actor_cast<caf::actor>(self->state.options.pulse); },
      [=](liveness_atom, const std::string& node_id, uint64_t incarnation, const std::string& state,
          const std::string& reason,
          uint32_t hold_ms) { judged(self, node_id, incarnation, state, reason, hold_ms); },
      [=](tick_atom) {
        tick(self);
        export_metrics(self);
        self->delayed_send(self, self->state.interval, tick_atom::value);
      },
  };
}

}  // namespace

coordinator_membership_actor spawn_coordinator_membership(caf::actor_system& system,
                                                          CoordinatorMembershipOptions options) {
  return system.spawn(coordinator_membership, std::move(options));
}

}  // namespace rad
