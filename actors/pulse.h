// Pulse: heartbeats, leases and failure detection on a thread of their own
// (a detached actor), where no agent, command start or disk write on CAF's
// scheduler can delay them: busy is not dead (issue [7]).
//
// On the coordinator, the Pulse answers each member's heartbeats with a
// HeartbeatAck while it holds the member live, watches every member with a
// FailureDetector, and tells the membership when one turns suspect, up again,
// or down. A member is down only after silence, never after a busy spell it
// kept heartbeating through; with a down verdict comes how long the member's
// lease may still run, and its work waits that long (actors/dispatcher.h).
//
// On a worker, the Pulse heartbeats the coordinator's Pulse and renews its
// lease with every answer, from the time it sent the heartbeat answered: the
// coordinator received that heartbeat later, so the worker's lease always
// ends before the coordinator thinks it does. It tells the membership when the
// coordinator has gone silent, and fences the node when the lease expired:
// the AgentHost stops every agent (actors/agent_host.h), as the coordinator
// may place their work again from then on.
//
// Messages (pulse_actor, protocol/pulse.h; all local but the heartbeats and
// their answers):
//   coordinator: (watch_atom, node id, incarnation)   a member joined
//                (forget_atom, node id)               a member left
//   worker:      (renew_atom, int64 steady ticks when the join was sent,
//                 uint32 gone hold ms)               a coordinator admitted this
//                                                     node: a lease from then, at
//                                                     once (its Pulse may never be
//                                                     named if it dies right after),
//                                                     and how long agents run on
//                                                     if its process is gone
//                (watch_atom, coordinator's Pulse, its node id, incarnation,
//                 int64 steady ticks when the join was sent: the first lease)
//                (gone_atom)                          the coordinator's process is
//                                                     gone (its connection closed)
//                (incarnation_atom, incarnation)      this node rejoined as that
//
// A coordinator that is gone places nothing; the next one waits for this node
// to report its agents for its adoption window (actors/dispatcher.h), which
// starts after the connection closed. So when the coordinator's connection
// closes while the lease runs, the lease runs on from then for that window
// less the time commands take to stop (gone_hold, told in the JoinReply):
// coordinator kill -9s in a row, however quick, and a coordinator that takes
// seconds to start again never make a live worker stop its agents. A silent
// coordinator (a partition) renews nothing: the lease runs out as it was.
//   both:        (pulse_atom) -> caf::actor           this Pulse
//                (subscribe_atom, membership[, AgentHost]) whom to tell
// and to the membership: (liveness_atom, node id, incarnation, "up"|"suspect"|
// "down", reason, hold ms) on the coordinator, (liveness_atom, reason) on a
// worker whose coordinator went silent; to the AgentHost: (fence_atom, reason).
#pragma once

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "actors/drivers/subprocess.h"
#include "actors/failure_detector.h"
#include "protocol/pulse.h"
#include "rad/v1/config.pb.h"

namespace spdlog {
class logger;
}

namespace rad {

struct PulseOptions {
  bool coordinator = false;
  std::string node_id;
  uint64_t incarnation = 0;
  std::chrono::milliseconds interval{100};
  DetectorOptions detector;
  // A worker runs agents this long after the heartbeat last answered was sent.
  std::chrono::milliseconds lease{3000};
  member_liveness_actor members_watcher{};           // a coordinator's membership
  coordinator_liveness_actor coordinator_watcher{};  // a worker's membership
  fence_subscriber_actor agent_host{};               // a worker's, fenced when its lease expires
};

// How long after its last answered heartbeat a silent worker may still be
// running agents: its lease, the time its commands take to stop
// (kDefaultKillGrace), and a tick of its Pulse either way.
std::chrono::milliseconds lease_hold(const PulseOptions& options);

// How long a coordinator awaits the agents of the nodes of its last view
// after it started: checkpoint.adopt_window_ms, and never less than a
// silent worker's lease_hold.
std::chrono::milliseconds adopt_window(const v1::NodeConfig& config);

// How long a worker may run its agents on after its connection to the
// coordinator closed: the next coordinator's adoption window less what its
// commands take to stop and a tick either way, so that they have stopped
// before that window ends. Never less than a lease.
std::chrono::milliseconds gone_hold(const v1::NodeConfig& config);

// The Pulse's settings from the node's config; node id and incarnation are
// the caller's to fill in.
PulseOptions pulse_options_of(const v1::NodeConfig& config);

// Spawned detached: its timers and heartbeats never wait for the scheduler.
pulse_actor spawn_pulse(caf::actor_system& system, PulseOptions options);

}  // namespace rad
