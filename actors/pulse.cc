#include "actors/pulse.h"

#include <spdlog/logger.h>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "rad/v1/cluster.pb.h"
#include "runtime/clock.h"
#include "runtime/link_envelope.h"
#include "runtime/logging.h"
#include "runtime/peer_guard.h"
#include "runtime/proto_bridge.h"
#include "runtime/trace.h"

namespace rad {
namespace {

using beat_atom = caf::atom_constant<caf::atom("beat")>;
using pulse_impl = pulse_actor::extend<caf::reacts_to<beat_atom>>;

struct PulseState {
  using Clock = std::chrono::steady_clock;
  PulseOptions options;
  std::shared_ptr<spdlog::logger> log;
  FailureDetector detector{DetectorOptions{}};
  Clock::time_point next_tick;

  // Coordinator: members watched, by node id.
  struct Member {
    uint64_t incarnation = 0;
    Clock::time_point last_ack;  // when its latest heartbeat was answered
  };
  std::map<std::string, Member> members;

  // Worker.
  pulse_actor coordinator;     // its Pulse
  std::string coordinator_id;  // its node id
  uint64_t seq = 0;
  std::map<uint64_t, Clock::time_point> sent;  // heartbeats not yet answered
  std::optional<Clock::time_point> lease_until;
  // From the coordinator's JoinReply: see gone_hold().
  std::chrono::milliseconds gone_hold{0};
  bool coordinator_silent = false, fenced = false;

  static inline const char* name = "rad.pulse";
};

using Self = pulse_impl::stateful_pointer<PulseState>;
using Clock = PulseState::Clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

const char* state_word(FailureDetector::State s) {
  switch (s) {
    case FailureDetector::State::up:
      return "up";
    case FailureDetector::State::suspect:
      return "suspect";
    default:
      return "down";
  }
}

std::string silence(const FailureDetector::Verdict& v) {
  return "no heartbeat for " + std::to_string(v.silent.count()) + " ms (deadline " +
         std::to_string(v.deadline.count()) + " ms)";
}

// -- coordinator --------------------------------------------------------------

void answer(Self self, const v1::Heartbeat& hb) {
  auto& st = self->state;
  auto it = st.members.find(hb.node_id());
  if (it == st.members.end() || it->second.incarnation != hb.incarnation() ||
      st.detector.state(hb.node_id()) == FailureDetector::State::down) {
    st.log->debug("heartbeat of {} incarnation {} not answered: not held live", hb.node_id(),
                  hb.incarnation());
    return;  // not held live: its lease must run out
  }
  auto now = Clock::now();
  it->second.last_ack = now;
  if (auto verdict = st.detector.heard(hb.node_id(), now))
    self->send(st.options.members_watcher, liveness_atom::value, hb.node_id(), hb.incarnation(),
               std::string{"up"}, std::string{}, uint32_t{0});
  v1::HeartbeatAck ack;
  ack.set_node_id(st.options.node_id);
  ack.set_incarnation(hb.incarnation());
  ack.set_seq(hb.seq());
  traced(ack, hb.trace().traceparent());
  link_send(self, caf::actor_cast<pulse_actor>(self->current_sender()), proto(std::move(ack)));
}

void judge_members(Self self, Clock::time_point now) {
  auto& st = self->state;
  for (const auto& v : st.detector.check(now)) {
    auto it = st.members.find(v.peer);
    if (it == st.members.end()) continue;
    uint32_t hold_ms = 0;
    if (v.state == FailureDetector::State::down) {
      auto until = it->second.last_ack + lease_hold(st.options);
      hold_ms = static_cast<uint32_t>(
          std::max<int64_t>(0, duration_cast<milliseconds>(until - now).count()));
    }
    self->send(st.options.members_watcher, liveness_atom::value, v.peer, it->second.incarnation,
               std::string{state_word(v.state)}, silence(v), hold_ms);
  }
}

// -- worker -------------------------------------------------------------------

// The coordinator answered something this node sent at `sent`: a lease from then.
void extend_lease(Self self, Clock::time_point sent) {
  auto& st = self->state;
  auto until = sent + st.options.lease;
  if (!st.lease_until || until > *st.lease_until) st.lease_until = until;
  if (st.fenced && *st.lease_until > Clock::now()) {
    st.fenced = false;
    st.log->info("lease renewed by the coordinator: agents may run again");
  }
}

void renew(Self self, const v1::HeartbeatAck& ack) {
  auto& st = self->state;
  auto sent = st.sent.find(ack.seq());
  if (sent == st.sent.end()) return;  // answered already, or older than any lease
  auto at = sent->second;
  st.sent.erase(st.sent.begin(), std::next(sent));
  st.detector.heard(st.coordinator_id, Clock::now());
  extend_lease(self, at);
}

void beat(Self self, Clock::time_point now) {
  auto& st = self->state;
  if (!st.coordinator) return;
  v1::Heartbeat hb;
  hb.set_node_id(st.options.node_id);
  hb.set_incarnation(st.options.incarnation);
  hb.set_seq(++st.seq);
  *hb.mutable_sent_at() = now_timestamp();
  traced(hb);
  st.sent[st.seq] = now;
  // An answer older than a lease renews nothing.
  while (!st.sent.empty() && now - st.sent.begin()->second > st.options.lease)
    st.sent.erase(st.sent.begin());
  link_send(self, st.coordinator, proto(std::move(hb)));
}

void judge_coordinator(Self self, Clock::time_point now) {
  auto& st = self->state;
  for (const auto& v : st.detector.check(now)) {
    if (v.state != FailureDetector::State::down || st.coordinator_silent) continue;
    st.coordinator_silent = true;
    self->send(st.options.coordinator_watcher, liveness_atom::value,
               "no answer to heartbeats for " + std::to_string(v.silent.count()) + " ms");
  }
  if (st.lease_until && now >= *st.lease_until && !st.fenced) {
    st.fenced = true;
    auto why = "lease expired: no heartbeat answered for " +
               std::to_string(st.options.lease.count()) + " ms";
    st.log->warn("{}; stopping every agent (the coordinator may place their work again)", why);
    if (st.options.agent_host) self->send(st.options.agent_host, fence_atom::value, why);
  }
}

}  // namespace

std::chrono::milliseconds lease_hold(const PulseOptions& options) {
  return options.lease + kDefaultKillGrace + 2 * options.interval;
}

std::chrono::milliseconds adopt_window(const v1::NodeConfig& config) {
  return std::max(milliseconds{config.checkpoint().adopt_window_ms()},
                  lease_hold(pulse_options_of(config)));
}

std::chrono::milliseconds gone_hold(const v1::NodeConfig& config) {
  auto options = pulse_options_of(config);
  return adopt_window(config) - (lease_hold(options) - options.lease);
}

PulseOptions pulse_options_of(const v1::NodeConfig& config) {
  const auto& cluster = config.cluster();
  PulseOptions o;
  o.coordinator = config.role() != "worker";
  o.interval = milliseconds{cluster.heartbeat_interval_ms()};
  o.detector.down_after = milliseconds{cluster.heartbeat_timeout_ms()};
  o.detector.max_down_after = 10 * o.detector.down_after;
  o.lease = milliseconds{cluster.lease_ms()};
  return o;
}

namespace {

pulse_impl::behavior_type pulse(Self self, PulseOptions options) {
  auto& st = self->state;
  st.options = std::move(options);
  st.gone_hold = st.options.lease;
  st.log = logger("membership");
  st.detector = FailureDetector{st.options.detector};
  guard_against_peers(self, st.log);
  st.next_tick = Clock::now();
  self->send(self, beat_atom::value);
  return {
      [=](beat_atom) {
        auto& st = self->state;
        auto now = Clock::now();
        // Lifeguard: this thread running late is this node's silence, not its peers'.
        st.detector.ran_late(now - st.next_tick, now);
        if (st.options.coordinator) {
          judge_members(self, now);
        } else {
          beat(self, now);
          judge_coordinator(self, now);
        }
        st.next_tick = now + st.options.interval;
        self->delayed_send(self, st.options.interval, beat_atom::value);
      },
      [=](const Proto<v1::Heartbeat>& hb) {
        if (self->state.options.coordinator) answer(self, hb.value);
      },
      [=](const Proto<v1::HeartbeatAck>& ack) {
        if (!self->state.options.coordinator) renew(self, ack.value);
      },
      [=](watch_atom, const std::string& node_id, uint64_t incarnation) {
        auto& st = self->state;
        st.members[node_id] = {incarnation, Clock::now()};
        st.detector.watch(node_id, Clock::now());
      },
      [=](forget_atom, const std::string& node_id) {
        self->state.members.erase(node_id);
        self->state.detector.forget(node_id);
      },
      [=](renew_atom, int64_t join_sent, uint32_t gone_hold_ms) {
        auto& st = self->state;
        if (st.options.coordinator) return;
        st.gone_hold = gone_hold_ms > 0 ? milliseconds{gone_hold_ms} : st.options.lease;
        extend_lease(self, Clock::time_point{Clock::duration{join_sent}});
      },
      [=](gone_atom) {
        auto& st = self->state;
        st.coordinator = nullptr;
        auto now = Clock::now();
        if (st.options.coordinator || st.fenced || !st.lease_until || now >= *st.lease_until)
          return;
        st.lease_until = std::max(*st.lease_until, now + st.gone_hold);
      },
      [=](watch_atom, const caf::actor& coordinator, const std::string& coordinator_id,
          uint64_t incarnation, int64_t join_sent) {
        auto& st = self->state;
        // Admitted: a lease from when the join was sent, before the
        // coordinator admitted it (and may have placed work here).
        auto until = Clock::time_point{Clock::duration{join_sent}} + st.options.lease;
        if (!st.lease_until || until > *st.lease_until) st.lease_until = until;
        st.fenced = false;
        st.coordinator = caf::actor_cast<pulse_actor>(coordinator);
        st.coordinator_id = coordinator_id;
        st.options.incarnation = incarnation;
        st.coordinator_silent = false;
        st.detector = FailureDetector{st.options.detector};
        st.detector.watch(coordinator_id, Clock::now());
      },
      [=](incarnation_atom, uint64_t incarnation) {
        self->state.options.incarnation = incarnation;
      },
      [=](pulse_atom) { return caf::actor_cast<caf::actor>(self); },
      [=](subscribe_atom, const member_liveness_actor& membership) {
        self->state.options.members_watcher = membership;
      },
      [=](subscribe_atom, const coordinator_liveness_actor& membership,
          const fence_subscriber_actor& agent_host) {
        self->state.options.coordinator_watcher = membership;
        self->state.options.agent_host = agent_host;
      },
  };
}

}  // namespace

pulse_actor spawn_pulse(caf::actor_system& system, PulseOptions options) {
  return system.spawn<caf::detached>(pulse, std::move(options));
}

}  // namespace rad
