#include "actors/node_agent.h"

#include <spdlog/logger.h>

#include <algorithm>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>

#include "actors/dispatcher.h"
#include "actors/pulse.h"
#include "runtime/clock.h"
#include "runtime/enum_word.h"
#include "runtime/error.h"
#include "runtime/link_envelope.h"
#include "runtime/logging.h"
#include "runtime/peer_guard.h"
#include "runtime/proto_bridge.h"
#include "runtime/protocol.h"
#include "runtime/trace.h"

namespace rad {
namespace {

using Self = caf::stateful_actor<NodeAgentState>*;
using Clock = NodeAgentState::Clock;
using std::chrono::milliseconds;

constexpr auto kConnectTimeout = std::chrono::seconds{2};
constexpr auto kJoinReplyTimeout = std::chrono::seconds{5};
constexpr auto kRejoinReplyTimeout = std::chrono::milliseconds{500};
constexpr auto kLeaveTimeout = std::chrono::seconds{3};
constexpr milliseconds kFirstRetry{100}, kMaxRetry{1000};

uint64_t now_ms() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::string state_name(v1::MemberState s) { return enum_word(v1::MemberState_Name(s)); }

std::string summary(const v1::MembershipView& view) {
  std::map<std::string, int> counts;
  for (const auto& m : view.members()) ++counts[state_name(m.state())];
  std::string out = "v" + std::to_string(view.version()) + ": " +
                    std::to_string(view.members_size()) + " members (";
  bool first = true;
  for (const auto& [state, n] : counts) {
    out += (first ? "" : ", ") + std::to_string(n) + " " + state;
    first = false;
  }
  return out + ")";
}

// One line per member whose state or incarnation differs between two views.
void log_changes(spdlog::logger& log, const v1::MembershipView& before,
                 const v1::MembershipView& after) {
  for (const auto& m : after.members()) {
    auto old =
        std::find_if(before.members().begin(), before.members().end(),
                     [&](const v1::Member& o) { return o.node().name() == m.node().name(); });
    bool same = old != before.members().end() && old->state() == m.state() &&
                old->node().incarnation() == m.node().incarnation();
    if (same) continue;
    log.info("member {} is now {} (incarnation {}, {}){}", m.node().name(), state_name(m.state()),
             m.node().incarnation(), m.node().address(),
             m.reason().empty() ? "" : ": " + m.reason());
  }
}

// (coordinator incarnation, version) orders views across coordinator restarts.
bool newer(const v1::MembershipView& a, const v1::MembershipView& b) {
  return std::make_pair(a.coordinator_incarnation(), a.version()) >
         std::make_pair(b.coordinator_incarnation(), b.version());
}

v1::Heartbeat make_heartbeat(Self self) {
  v1::Heartbeat hb;
  hb.set_node_id(self->state.options.info.node_id());
  hb.set_incarnation(self->state.options.info.incarnation());
  hb.set_seq(++self->state.heartbeat_seq);
  *hb.mutable_sent_at() = now_timestamp();
  if (self->state.stats.has_sampled_at()) *hb.mutable_stats() = self->state.stats;
  return traced(hb);
}

void send_draining(Self self);

// Whether the node may take work: ready_atom's answer. A worker's names the
// version of `view`, the one it holds or is about to take.
Verdict readiness(Self self, const v1::MembershipView& view) {
  auto& st = self->state;
  if (st.draining) return {false, "draining: takes no new agents"};
  if (st.table)
    return {true, "coordinator of " + std::to_string(st.table->view().members_size()) + " members"};
  if (!st.coordinator)
    return {false, st.ever_joined ? "coordinator lost; reconnecting" : "joining the cluster"};
  return {true, "joined cluster '" + st.options.config.cluster().name() + "', view v" +
                    std::to_string(view.version())};
}

// The view and readiness for the HTTP routes: on every tick (so their age
// tells whether this actor runs) and on every change.
// `view`: a worker's view about to be taken (none: the one it holds).
void publish_views(Self self, const v1::MembershipView* view = nullptr) {
  auto& st = self->state;
  if (!st.options.views) return;
  if (!view) view = st.table ? &st.table->view() : &st.view;
  st.options.views->membership.set(*view);
  st.options.views->cluster.set(readiness(self, *view));
}

// The view and how long ago each peer was heard, as this node knows them.
void export_metrics(Self self) {
  auto& st = self->state;
  publish_views(self);
  auto& metrics = st.options.metrics;
  if (!metrics) return;
  std::map<std::string, double> ages;
  if (st.table) {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    double now_s = std::chrono::duration<double>(now).count();
    for (const auto& m : st.table->view().members()) {
      if (m.node().node_id() == st.options.info.node_id() || !is_live(m)) continue;
      const auto& heard = m.last_heartbeat();
      ages[m.node().name()] = now_s - (heard.seconds() + heard.nanos() / 1e9);
    }
    metrics->members(st.table->view());
  } else {
    for (const auto& m : st.view.members())
      if (m.node().node_id() == st.view.coordinator_id() && st.ever_joined)
        ages[m.node().name()] =
            std::chrono::duration<double>(Clock::now() - st.coordinator_heard).count();
    metrics->members(st.view);
  }
  metrics->heartbeat_ages(ages);
}

// -- coordinator --------------------------------------------------------------

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
  self->demonitor(it->second);
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
  publish_views(self);
  const auto& view = st.table->view();
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
  auto agent = caf::actor_cast<caf::actor>(self->current_sender());
  forget_agent(self, node.node_id());
  self->monitor(agent);
  st.member_agents[node.node_id()] = agent;
  // Unchecked: the peer's AgentHost crosses the link as a caf::actor.
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

void coordinator_tick(Self self) {
  auto& st = self->state;
  st.table->check();
  announce(self);
  auto hb = proto(make_heartbeat(self));
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
      link_send(self, caf::actor_cast<caf::actor>(self->current_sender()), proto(fence));
      break;
    }
    case MembershipTable::Heard::unknown:
    case MembershipTable::Heard::stale_incarnation:
      st.log->debug("dropped heartbeat of {} incarnation {}", hb.node_id(), hb.incarnation());
      break;
  }
}

// -- worker -------------------------------------------------------------------

void try_join(Self self);

void fatal(Self self, caf::error err) {
  self->state.log->error("{}", error_message(err));
  if (self->state.options.on_fatal) self->state.options.on_fatal(err);
}

void join_failed(Self self, const std::string& seed, const std::string& why) {
  auto& st = self->state;
  st.joining = false;
  auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - st.join_started);
  auto limit = milliseconds{st.options.config.cluster().join_timeout_ms()};
  if (!st.ever_joined && waited >= limit) {
    fatal(self, make_error(Errc::unreachable, "cannot join the cluster: no seed answered within " +
                                                  std::to_string(limit.count()) + " ms (last, " +
                                                  seed + ": " + why +
                                                  "); check --join and that the coordinator runs"));
    return;
  }
  auto delay = std::min(kMaxRetry, kFirstRetry * (1u << std::min(st.attempt, 4u)));
  ++st.attempt;
  (st.attempt % 10 == 1 ? st.log->warn("cannot join through {}: {}; retrying", seed, why)
                        : st.log->debug("cannot join through {}: {}; retrying", seed, why));
  self->delayed_send(self, delay, join_atom::value);
}

void reincarnate(Self self, const std::string& why) {
  auto& info = self->state.options.info;
  auto old = info.incarnation();
  info.set_incarnation(std::max(now_ms(), old + 1));
  if (self->state.options.pulse)
    self->send(self->state.options.pulse, incarnation_atom::value, info.incarnation());
  self->state.log->warn("{}; rejoining as incarnation {} (was {})", why, info.incarnation(), old);
}

void coordinator_lost(Self self, const std::string& why) {
  auto& st = self->state;
  if (!st.coordinator) return;
  self->demonitor(st.coordinator);
  st.lost_coordinator = st.coordinator.node();
  st.coordinator = nullptr;
  // What the lost coordinator still sends is never started.
  if (st.options.agent_host)
    self->send(st.options.agent_host, coordinator_atom::value, caf::node_id{});
  for (auto& m : *st.view.mutable_members()) {
    if (m.node().node_id() == st.view.coordinator_id()) {
      m.set_state(v1::MEMBER_STATE_DOWN);
      m.set_reason(why);
    }
  }
  publish_views(self);  // before the log: whoever reads it finds it in /health
  st.log->warn("coordinator lost: {}; reconnecting", why);
  st.attempt = 0;
  try_join(self);
}

void accept_view(Self self, const v1::MembershipView& view) {
  auto& st = self->state;
  if (!newer(view, st.view)) return;
  // Published before it is logged: whoever reads the log finds it in the API.
  publish_views(self, &view);
  log_changes(*st.log, st.view, view);
  st.log->info("view {}", summary(view));
  st.view = view;
  export_metrics(self);
}

void joined(Self self, caf::actor coordinator, const v1::JoinReply& reply, const std::string& seed,
            Clock::time_point join_sent) {
  auto& st = self->state;
  st.coordinator = std::move(coordinator);
  self->monitor(st.coordinator);
  st.coordinator_heard = Clock::now();
  st.ever_joined = true;
  st.attempt = 0;
  // Published before it is logged, with the view it joined.
  publish_views(self, newer(reply.view(), st.view) ? &reply.view() : nullptr);
  st.log->info("joined cluster '{}' through {} as incarnation {}",
               st.options.config.cluster().name(), seed, st.options.info.incarnation());
  accept_view(self, reply.view());
  // Back after a coordinator loss while draining: it must still place nothing here.
  if (st.draining) send_draining(self);
  // Admitted: a lease at once, whether or not the coordinator lives to name its Pulse.
  auto sent_ticks = static_cast<int64_t>(join_sent.time_since_epoch().count());
  if (st.options.pulse)
    self->send(st.options.pulse, renew_atom::value, sent_ticks, reply.gone_hold_ms());
  // Heartbeats go from Pulse to Pulse, off the scheduler.
  auto coordinator_id = reply.view().coordinator_id();
  auto incarnation = st.options.info.incarnation();
  link_request(self, st.coordinator, kJoinReplyTimeout, pulse_atom::value)
      .then(
          [=](const caf::actor& coordinator_pulse) {
            if (self->state.options.pulse && coordinator_pulse)
              self->send(self->state.options.pulse, watch_atom::value, coordinator_pulse,
                         coordinator_id, incarnation, sent_ticks);
          },
          [=](caf::error& err) {
            self->state.log->warn("the coordinator did not name its pulse: {}",
                                  self->system().render(err));
          });
}

void send_join(Self self, caf::actor coordinator, const std::string& seed,
               std::chrono::milliseconds timeout) {
  auto& st = self->state;
  v1::JoinRequest request;
  traced(request);
  *request.mutable_node() = st.options.info;
  request.set_cluster_name(st.options.config.cluster().name());
  request.set_secret_proof(MembershipTable::secret_proof(st.options.config.cluster().secret(),
                                                         st.options.info.node_id()));
  request.set_protocol_version(kProtocolVersion);
  auto sent = Clock::now();
  // The coordinator's Dispatcher places work on this node's AgentHost
  // directly: the host takes it from the node being joined.
  if (st.options.agent_host)
    self->send(st.options.agent_host, coordinator_atom::value, coordinator.node());
  // The AgentHost travels as a caf::actor: the join is as kProtocolVersion has it.
  link_request(self, coordinator, timeout, proto(request),
               caf::actor_cast<caf::actor>(st.options.agent_host))
      .then(
          [=](const Proto<v1::JoinReply>& reply) {
            self->state.joining = false;
            if (reply.value.accepted()) {
              joined(self, coordinator, reply.value, seed, sent);
            } else if (reply.value.fenced()) {
              reincarnate(self, "the coordinator fenced this node (" + reply.value.refusal() + ")");
              self->delayed_send(self, kFirstRetry, join_atom::value);
            } else {
              fatal(self, make_error(Errc::invalid_input, "refused by the coordinator at " + seed +
                                                              ": " + reply.value.refusal()));
            }
          },
          [=](caf::error& err) { join_failed(self, seed, self->system().render(err)); });
}

void try_join(Self self) {
  auto& st = self->state;
  if (st.joining || st.coordinator) return;
  const auto& seeds = st.options.config.join();
  if (seeds.empty()) return;
  st.joining = true;
  std::string seed = seeds[static_cast<int>(st.next_seed++ % seeds.size())];
  auto colon = seed.rfind(':');
  auto host = seed.substr(0, colon);
  auto port = static_cast<uint16_t>(std::stoul(seed.substr(colon + 1)));
  auto mm = self->system().middleman().actor_handle();
  self->request(mm, kConnectTimeout, caf::connect_atom::value, host, port)
      .then(
          [=](const caf::node_id& node, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
            if (!ptr) {
              join_failed(self, seed, "nothing is published there");
              return;
            }
            // Right after a connection loss the middleman may still hand out
            // the dead coordinator's NodeAgent, which never answers: ask it
            // briefly. A live one (a partition healed) answers at once.
            bool lost_one = node == self->state.lost_coordinator;
            send_join(self, caf::actor_cast<caf::actor>(std::move(ptr)), seed,
                      lost_one ? kRejoinReplyTimeout : kJoinReplyTimeout);
          },
          [=](caf::error& err) { join_failed(self, seed, self->system().render(err)); });
}

v1::LeaveNotice leave_notice(Self self, bool draining) {
  v1::LeaveNotice notice;
  traced(notice);
  notice.set_node_id(self->state.options.info.node_id());
  notice.set_incarnation(self->state.options.info.incarnation());
  notice.set_draining(draining);
  notice.set_reason(draining ? "draining before a graceful leave" : "left gracefully");
  return notice;
}

// Tells the coordinator (or this node's own table) to place nothing more here.
void send_draining(Self self) {
  auto& st = self->state;
  if (st.table) {
    const auto& info = st.options.info;
    if (st.table->drain(info.node_id(), info.incarnation(), "draining")) announce(self);
  } else if (st.coordinator) {
    link_request(self, st.coordinator, kLeaveTimeout, proto(leave_notice(self, true)))
        .then([](bool) {},
              [=](caf::error& err) {
                self->state.log->warn("coordinator did not acknowledge the drain: {}",
                                      self->system().render(err));
              });
  }
}

void start_draining(Self self) {
  auto& st = self->state;
  if (st.draining) return;
  st.draining = true;
  publish_views(self);
  st.log->info("draining: taking no new agents");
  send_draining(self);
}

// Its Monitor's samples for the coordinator; liveness is the Pulse's.
void worker_tick(Self self) {
  auto& st = self->state;
  if (!st.coordinator) return;
  link_send(self, st.coordinator, proto(make_heartbeat(self)));
}

}  // namespace

caf::behavior node_agent(caf::stateful_actor<NodeAgentState>* self, NodeAgentOptions options) {
  auto& st = self->state;
  st.options = std::move(options);
  st.log = logger("membership");
  guard_against_peers(self, st.log);
  const auto& cluster = st.options.config.cluster();
  st.interval = milliseconds{cluster.heartbeat_interval_ms()};
  bool is_coordinator = st.options.info.role() != v1::ROLE_WORKER;
  if (is_coordinator) {
    MembershipOptions mo{cluster.name(), cluster.secret()};
    st.table = std::make_unique<MembershipTable>(st.options.info, mo);
    announce(self);
  } else {
    st.join_started = Clock::now();
    self->send(self, join_atom::value);
  }
  self->send(self, tick_atom::value);

  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (st.coordinator && dm.source == st.coordinator.address()) {
      // Its process is gone: see the lease in actors/pulse.h.
      if (st.options.pulse) self->send(st.options.pulse, gone_atom::value);
      coordinator_lost(self, "connection lost (" + self->system().render(dm.reason) + ")");
      return;
    }
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
        TraceScope scope{ping.value.trace().traceparent()};
        self->state.log->debug("ping {} answered", ping.value.seq());
        v1::Pong pong;
        pong.set_seq(ping.value.seq());
        *pong.mutable_node() = self->state.options.info;
        pong.mutable_trace()->set_traceparent(child_traceparent(ping.value.trace().traceparent()));
        return proto(std::move(pong));
      },
      [=](monitor_atom, const monitor_actor& monitor) {
        if (!self->state.options.monitor && monitor && monitor.node() == self->node())
          self->state.options.monitor = monitor;
      },
      [=](const Proto<v1::NodeStats>& stats) {
        auto& st = self->state;
        if (!st.options.monitor || self->current_sender() != st.options.monitor.address()) return;
        st.stats = stats.value;
        // The coordinator is its own member: its samples go straight to the table.
        if (st.table) member_heartbeat(self, make_heartbeat(self));
      },
      [=](ready_atom) {
        auto verdict = readiness(self, self->state.view);
        return caf::make_message(verdict.ok, std::move(verdict.message));
      },
      [=](view_atom) {
        auto& st = self->state;
        return proto(st.table ? st.table->view() : st.view);
      },
      [=](tick_atom) {
        if (self->state.table)
          coordinator_tick(self);
        else
          worker_tick(self);
        export_metrics(self);
        self->delayed_send(self, self->state.interval, tick_atom::value);
      },
      [=](join_atom) { try_join(self); },
      [=](pulse_atom) { return caf::actor_cast<caf::actor>(self->state.options.pulse); },
      // The coordinator's Pulse judged a member.
      [=](liveness_atom, const std::string& node_id, uint64_t incarnation, const std::string& state,
          const std::string& reason, uint32_t hold_ms) {
        if (self->state.table) judged(self, node_id, incarnation, state, reason, hold_ms);
      },
      // A worker's Pulse hears the coordinator no more.
      [=](liveness_atom, const std::string& reason) {
        if (!self->state.table) coordinator_lost(self, reason);
      },
      // The node drains: the coordinator is told, and places nothing more here.
      [=](drain_atom) {
        start_draining(self);
        return true;
      },
      [=](const Proto<v1::JoinRequest>& request, const caf::actor& host) {
        if (!self->state.table) {
          v1::JoinReply reply;
          traced(reply, request.value.trace().traceparent());
          reply.set_refusal("node " + self->state.options.info.name() +
                            " is a worker; --join the coordinator's cluster port");
          return proto(reply);
        }
        return proto(admit(self, request.value, host));
      },
      // A node of another protocol joins with the request alone: the table
      // refuses its version, and says so on both sides.
      [=](const Proto<v1::JoinRequest>& request) {
        if (self->state.table && request.value.protocol_version() != kProtocolVersion)
          return proto(admit(self, request.value, caf::actor{}));
        v1::JoinReply reply;
        traced(reply, request.value.trace().traceparent());
        reply.set_refusal("a join of protocol version " + std::to_string(kProtocolVersion) +
                          " carries the node's AgentHost; run the same rad version on every node");
        return proto(reply);
      },
      [=](const Proto<v1::Heartbeat>& hb) {
        auto& st = self->state;
        if (st.table) {
          member_heartbeat(self, hb.value);
        } else if (st.coordinator && hb.value.node_id() == st.view.coordinator_id()) {
          st.coordinator_heard = Clock::now();
        }
      },
      [=](const Proto<v1::MembershipView>& view) {
        // Views pushed by a coordinator we lost are stale; the next JoinReply has a fresh one.
        if (!self->state.table && self->state.coordinator) accept_view(self, view.value);
      },
      [=](const Proto<v1::JoinReply>& notice) {
        // Unsolicited: the coordinator fenced us after declaring us down.
        auto& st = self->state;
        if (st.table || !notice.value.fenced() || !st.coordinator) return;
        self->demonitor(st.coordinator);
        st.coordinator = nullptr;
        reincarnate(self,
                    "the coordinator declared this node down (" + notice.value.refusal() + ")");
        self->delayed_send(self, kFirstRetry, join_atom::value);
      },
      [=](const Proto<v1::LeaveNotice>& notice) {
        auto& st = self->state;
        if (!st.table) return true;
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
      [=](leave_atom) -> caf::result<bool> {
        auto& st = self->state;
        if (st.table || !st.coordinator) return true;
        auto rp = self->make_response_promise<bool>();
        link_request(self, st.coordinator, kLeaveTimeout, proto(leave_notice(self, false)))
            .then([=](bool) mutable { rp.deliver(true); },
                  [=](caf::error& err) mutable {
                    self->state.log->warn("leave not acknowledged: {}", self->system().render(err));
                    rp.deliver(false);
                  });
        return rp;
      },
  };
}

}  // namespace rad
