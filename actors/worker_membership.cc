#include "actors/worker_membership.h"

#include <spdlog/logger.h>

#include <algorithm>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <memory>
#include <set>
#include <string>

#include "actors/membership_table.h"
#include "runtime/error.h"
#include "runtime/link_envelope.h"
#include "runtime/logging.h"
#include "runtime/peer_guard.h"
#include "runtime/protocol.h"
#include "runtime/trace.h"

namespace rad {
namespace {

using std::chrono::milliseconds;

// Its tick: a heartbeat to the coordinator while joined.
using tick_atom = caf::atom_constant<caf::atom("tick")>;
// The next try of a seed.
using join_atom = caf::atom_constant<caf::atom("join")>;

using worker_impl =
    worker_membership_actor::extend<caf::reacts_to<tick_atom>, caf::reacts_to<join_atom>>;

constexpr auto kConnectTimeout = std::chrono::seconds{2};
constexpr auto kJoinReplyTimeout = std::chrono::seconds{5};
constexpr auto kRejoinReplyTimeout = std::chrono::milliseconds{500};
constexpr auto kLeaveTimeout = std::chrono::seconds{3};
constexpr milliseconds kFirstRetry{100}, kMaxRetry{1000};

struct WorkerState {
  using Clock = std::chrono::steady_clock;
  WorkerMembershipOptions options;
  std::shared_ptr<spdlog::logger> log;
  milliseconds interval{100};
  // The coordinator joined; none while joining.
  coordinator_membership_actor coordinator;
  caf::node_id lost_coordinator;  // the last one lost: its handle may linger
  v1::MembershipView view;
  Clock::time_point coordinator_heard;
  Clock::time_point join_started;
  bool joining = false;  // a join is on its way
  bool ever_joined = false, draining = false;
  size_t next_seed = 0;
  unsigned attempt = 0;
  uint64_t heartbeat_seq = 0;
  v1::NodeStats stats;  // the Monitor's latest
  static inline const char* name = "rad.worker_membership";
};

using Self = worker_impl::stateful_pointer<WorkerState>;
using Clock = WorkerState::Clock;

uint64_t now_ms() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// (coordinator incarnation, version) orders views across coordinator restarts.
bool newer(const v1::MembershipView& a, const v1::MembershipView& b) {
  return std::make_pair(a.coordinator_incarnation(), a.version()) >
         std::make_pair(b.coordinator_incarnation(), b.version());
}

// Whether the node may take work: ready_atom's answer, naming the version of
// `view`, the one it holds or is about to take.
Verdict readiness(Self self, const v1::MembershipView& view) {
  auto& st = self->state;
  if (st.draining) return {false, "draining: takes no new agents"};
  if (!st.coordinator)
    return {false, st.ever_joined ? "coordinator lost; reconnecting" : "joining the cluster"};
  return {true, "joined cluster '" + st.options.config.cluster().name() + "', view v" +
                    std::to_string(view.version())};
}

// The view and readiness for the HTTP routes: on every tick (so their age
// tells whether this actor runs) and on every change.
// `view`: a view about to be taken (none: the one it holds).
void publish(Self self, const v1::MembershipView* view = nullptr) {
  if (!view) view = &self->state.view;
  publish_views(self->state.options, *view, readiness(self, *view));
}

// The view and how long ago the coordinator was heard, for /metrics too.
void export_metrics(Self self) {
  auto& st = self->state;
  publish(self);
  if (!st.options.metrics) return;
  std::map<std::string, double> ages;
  for (const auto& m : st.view.members())
    if (m.node().node_id() == st.view.coordinator_id() && st.ever_joined)
      ages[m.node().name()] =
          std::chrono::duration<double>(Clock::now() - st.coordinator_heard).count();
  export_membership(st.options, st.view, ages);
}

void fatal(Self self, caf::error err) {
  self->state.log->error("{}", error_message(err));
  if (self->state.options.on_fatal) self->state.options.on_fatal(err);
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

// Tells the coordinator joined to place nothing more here.
void send_draining(Self self) {
  link_request(self, self->state.coordinator, kLeaveTimeout, proto(leave_notice(self, true)))
      .then([](bool) {},
            [=](caf::error& err) {
              self->state.log->warn("coordinator did not acknowledge the drain: {}",
                                    self->system().render(err));
            });
}

// The node drains; the coordinator joined, if any, is told now, and one
// joined later when it joins.
void start_draining(Self self) {
  auto& st = self->state;
  if (st.draining) return;
  st.draining = true;
  publish(self);
  st.log->info("draining: taking no new agents");
  if (st.coordinator) send_draining(self);
}

void try_join(Self self);

// -- joining ------------------------------------------------------------------

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

void accept_view(Self self, const v1::MembershipView& view) {
  auto& st = self->state;
  if (!newer(view, st.view)) return;
  // Published before it is logged: whoever reads the log finds it in the API.
  publish(self, &view);
  log_changes(*st.log, st.view, view);
  st.log->info("view {}", summary(view));
  st.view = view;
  export_metrics(self);
}

worker_impl::behavior_type joined_behavior(Self self);

void joined(Self self, coordinator_membership_actor coordinator, const v1::JoinReply& reply,
            const std::string& seed, Clock::time_point join_sent) {
  auto& st = self->state;
  st.coordinator = std::move(coordinator);
  self->monitor(st.coordinator);
  self->become(joined_behavior(self));
  st.coordinator_heard = Clock::now();
  st.ever_joined = true;
  st.attempt = 0;
  // Published before it is logged, with the view it joined.
  publish(self, newer(reply.view(), st.view) ? &reply.view() : nullptr);
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

void send_join(Self self, coordinator_membership_actor coordinator, const std::string& seed,
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

// Tries the next seed, unless a join is on its way.
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
            // the dead coordinator's membership actor, which never answers:
            // ask it briefly. A live one (a partition healed) answers at once.
            bool lost_one = node == self->state.lost_coordinator;
            // Unchecked: whatever a seed publishes; a worker refuses the join.
            send_join(self, caf::actor_cast<coordinator_membership_actor>(std::move(ptr)), seed,
                      lost_one ? kRejoinReplyTimeout : kJoinReplyTimeout);
          },
          [=](caf::error& err) { join_failed(self, seed, self->system().render(err)); });
}

worker_impl::behavior_type joining_behavior(Self self);

// The coordinator is gone (its connection lost) or silent: join again.
void coordinator_lost(Self self, const std::string& why) {
  auto& st = self->state;
  self->demonitor(st.coordinator.address());
  st.lost_coordinator = st.coordinator.node();
  st.coordinator = nullptr;
  self->become(joining_behavior(self));
  // What the lost coordinator still sends is never started.
  if (st.options.agent_host)
    self->send(st.options.agent_host, coordinator_atom::value, caf::node_id{});
  for (auto& m : *st.view.mutable_members()) {
    if (m.node().node_id() == st.view.coordinator_id()) {
      m.set_state(v1::MEMBER_STATE_DOWN);
      m.set_reason(why);
    }
  }
  publish(self);  // before the log: whoever reads it finds it in /health
  st.log->warn("coordinator lost: {}; reconnecting", why);
  st.attempt = 0;
  try_join(self);
}

// -- both behaviours ----------------------------------------------------------

// A tick: the view published, and its heartbeat (its Monitor's sample) to the
// coordinator joined, if any; liveness is the Pulse's.
void tick(Self self) {
  auto& st = self->state;
  if (st.coordinator)
    link_send(self, st.coordinator,
              proto(make_heartbeat(st.options.info, ++st.heartbeat_seq, st.stats)));
  export_metrics(self);
  self->delayed_send(self, st.interval, tick_atom::value);
}

// The handlers both behaviours share.
auto on_ping(Self self) {
  return [=](const Proto<v1::Ping>& ping) {
    return answer_ping(self->state.options.info, ping.value, *self->state.log);
  };
}
auto on_join(Self self) {
  return [=](const Proto<v1::JoinRequest>& request, const caf::actor&) {
    return proto(refused_join(request.value, "node " + self->state.options.info.name() +
                                                 " is a worker; --join the coordinator's "
                                                 "cluster port"));
  };
}
auto on_join_without_host() {
  return [](const Proto<v1::JoinRequest>& request) {
    return proto(refused_join_without_host(request.value));
  };
}
auto on_monitor(Self self) {
  return [=](monitor_atom, const monitor_actor& monitor) {
    auto& st = self->state;
    if (takes_monitor(st.options.monitor, monitor, self->node())) st.options.monitor = monitor;
  };
}
auto on_stats(Self self) {
  return [=](const Proto<v1::NodeStats>& stats) {
    auto& st = self->state;
    if (st.options.monitor && self->current_sender() == st.options.monitor.address())
      st.stats = stats.value;
  };
}
auto on_view(Self self) {
  return [=](view_atom) { return proto(self->state.view); };
}
auto on_ready(Self self) {
  return [=](ready_atom) {
    auto verdict = readiness(self, self->state.view);
    return caf::result<bool, std::string>{verdict.ok, std::move(verdict.message)};
  };
}
auto on_drain(Self self) {
  return [=](drain_atom) {
    start_draining(self);
    return true;
  };
}
auto on_tick(Self self) {
  return [=](tick_atom) { tick(self); };
}

// A behaviour of the worker: the handlers both share, and its own.
template <class... Handlers>
worker_impl::behavior_type behavior_with(Self self, Handlers... own) {
  return {on_ping(self),  on_join(self),    on_join_without_host(), on_monitor(self),
          on_stats(self), on_view(self),    on_ready(self),         on_drain(self),
          on_tick(self),  std::move(own)...};
}

// No coordinator yet: what a coordinator sends is from one lost (stale: the
// next JoinReply has a fresh view), and there is none to lose or leave.
worker_impl::behavior_type joining_behavior(Self self) {
  return behavior_with(
      self, [=](join_atom) { try_join(self); }, [=](const Proto<v1::Heartbeat>&) {},
      [=](const Proto<v1::MembershipView>&) {}, [=](const Proto<v1::JoinReply>&) {},
      [=](liveness_atom, const std::string&) {}, [=](leave_atom) { return true; });
}

worker_impl::behavior_type joined_behavior(Self self) {
  return behavior_with(
      self, [=](join_atom) {},  // a retry of the joining before
      [=](const Proto<v1::Heartbeat>& hb) {
        auto& st = self->state;
        if (hb.value.node_id() == st.view.coordinator_id()) st.coordinator_heard = Clock::now();
      },
      [=](const Proto<v1::MembershipView>& view) { accept_view(self, view.value); },
      [=](const Proto<v1::JoinReply>& notice) {
        // Unsolicited: the coordinator fenced us after declaring us down.
        auto& st = self->state;
        if (!notice.value.fenced()) return;
        self->demonitor(st.coordinator.address());
        st.coordinator = nullptr;
        self->become(joining_behavior(self));
        reincarnate(self,
                    "the coordinator declared this node down (" + notice.value.refusal() + ")");
        self->delayed_send(self, kFirstRetry, join_atom::value);
      },
      // The Pulse hears the coordinator no more.
      [=](liveness_atom, const std::string& reason) { coordinator_lost(self, reason); },
      [=](leave_atom) -> caf::result<bool> {
        auto rp = self->make_response_promise<bool>();
        link_request(self, self->state.coordinator, kLeaveTimeout, proto(leave_notice(self, false)))
            .then([=](bool) mutable { rp.deliver(true); },
                  [=](caf::error& err) mutable {
                    self->state.log->warn("leave not acknowledged: {}", self->system().render(err));
                    rp.deliver(false);
                  });
        return rp;
      });
}

worker_impl::behavior_type worker_membership(Self self, WorkerMembershipOptions options) {
  auto& st = self->state;
  st.options = std::move(options);
  st.log = logger("membership");
  guard_against_peers(self, st.log);
  st.interval = milliseconds{st.options.config.cluster().heartbeat_interval_ms()};
  st.join_started = Clock::now();
  self->send(self, join_atom::value);
  self->send(self, tick_atom::value);

  // The coordinator's process is gone: see the lease in actors/pulse.h.
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (!st.coordinator || dm.source != st.coordinator.address()) return;
    if (st.options.pulse) self->send(st.options.pulse, gone_atom::value);
    coordinator_lost(self, "connection lost (" + self->system().render(dm.reason) + ")");
  });
  return joining_behavior(self);
}

}  // namespace

worker_membership_actor spawn_worker_membership(caf::actor_system& system,
                                                WorkerMembershipOptions options) {
  return system.spawn(worker_membership, std::move(options));
}

}  // namespace rad
