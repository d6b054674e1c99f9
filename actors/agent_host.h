// AgentHost: spawns Agent actors on this node when the coordinator asks, up to
// agents.max_agents at once (refusals are answered, never dropped), collects
// their results and sends them back in batches: the cluster link is scarce.
//
// The coordinator's Dispatcher sends it work directly; work is taken only from
// this node or from the coordinator the node joined (coordinator_atom), so a
// batch a dead coordinator sent is never started beside the next one's.
//
// Messages:
//   (coordinator_atom, node_id) from this node's NodeAgent: the coordinator it
//                           joined (or is joining); none: no coordinator
//   Proto<SpawnBatch>    -> Proto<SpawnReply>, one decision per request
//   Proto<CancelRequest>    cancels the run's agents (or the listed stories). A plain
//                           mock agent is ended by the host at once (its result
//                           CANCELLED, the agent told to stop silently): 100,000
//                           of them take one handler. Exec and sampled agents
//                           are told to stop and report. Spawns of a whole run
//                           cancelled here lately (batches in flight) are refused
//   drain_atom           -> true once no agent runs and every result is sent;
//                           from then on every spawn is refused (retry elsewhere)
//   drain_now_atom       -> as drain_atom, stopping the running agents first:
//                           their attempts end NODE_LOST (the node goes), so
//                           they are placed again elsewhere
//   running_atom         -> uint32_t, agents running now
//   (crashed_atom, Proto<StoryResult>, reason)
//                           an attempt ended without its result; its agent
//                           sends it as it goes (actors/agent.h), and so may
//                           anyone local for an exec attempt (actors/agent_observer.h)
//   (fence_atom, why)       the node's lease ran out (actors/pulse.h): every
//                           running agent is stopped and its attempt ends
//                           NODE_LOST, as the coordinator may place it again
//   adopt_atom           -> Proto<AgentReport>: the attempts running here and the
//                           results that found no coordinator; from now on every
//                           result goes to the sender (a coordinator's Dispatcher,
//                           perhaps a restarted one)
//
// Results whose coordinator is gone (its Dispatcher is down) are kept until a
// coordinator asks with adopt_atom: agents that ran on cannot be run again.
//
// An AgentObserver (actors/agent_observer.h), when given, is told of each
// attempt started and ended here.
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/node_id.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/agent.h"
#include "actors/agent_metrics.h"
#include "actors/agent_observer.h"
#include "actors/due_buckets.h"
#include "rad/v1/cluster.pb.h"

namespace rad {

// Results waiting longer than this are sent even if their batch is small.
inline constexpr auto kResultFlushInterval = std::chrono::milliseconds{2};
inline constexpr int kMaxResultsPerBatch = 1024;
// Results sent (or reported) this recently when their coordinator goes down
// may have died with it, unstored: they are offered again to the next one (a
// run applies one result per attempt, so one it had stored is ignored).
// Without this, the attempt would run again. A coordinator restarted on a busy
// host can take seconds to store what it was sent. At most kMaxResultsKept
// are kept.
inline constexpr auto kResultKeepWindow = std::chrono::seconds{10};
inline constexpr size_t kMaxResultsKept = 1 << 16;
// Whole runs cancelled here that are remembered, to refuse their late spawns.
inline constexpr size_t kCancelledRunsKept = 1024;

using flush_atom = caf::atom_constant<caf::atom("flush")>;
using running_atom = caf::atom_constant<caf::atom("running")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using drain_now_atom = caf::atom_constant<caf::atom("drainnow")>;
using adopt_atom = caf::atom_constant<caf::atom("adopt")>;
// (wake_atom, int64 steady ticks): the host's own timer, due at that time.
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using coordinator_atom = caf::atom_constant<caf::atom("coord")>;

struct AgentHostState {
  using Clock = std::chrono::steady_clock;
  AgentContext identity;
  // Whose work is taken besides this node's: the coordinator joined.
  caf::node_id coordinator;
  uint32_t max_agents = 0;
  struct Running;
  // Kept small: a node may hold 100,000s of idle agents (issue [6]).
  struct Running {
    caf::actor agent;  // none for an exec attempt: it runs on the node's CommandRunner
    // Where a mock agent waits for its duration in `timers`; none() otherwise.
    DueBuckets<Running>::Handle timer;
    // When it was spawned, by host_ms(): what a cancel ending it here reports
    // as its start (4 bytes, in what would be padding).
    uint32_t spawned_ms = 0;
    // What few attempts need: exec attempts are cancelled through a token; a sampled attempt's
    // `spawn` span goes back with its result; an agent of another kind than mock is counted as its
    // kind.
    struct Extras {
      AgentKind kind = AgentKind::mock;
      std::optional<CancelToken> cancel;
      std::optional<v1::Span> spawn_span;
      // Stopped because this node's lease ran out: its attempt is lost, not cancelled.
      bool fenced = false;
    };
    std::unique_ptr<Extras> extras;
    AgentKind kind() const { return extras ? extras->kind : AgentKind::mock; }
  };
  // The agents of one run here, and where its results go: the actor that
  // asked for its spawns, while it lives (none: they wait in `undelivered`).
  struct RunAgents {
    caf::actor sink;
    std::map<std::pair<std::string, uint32_t>, Running> agents;  // story id, attempt
  };
  // Milliseconds since the host started, modulo 2^32: differences of two
  // are right for agents younger than 49 days.
  Clock::time_point started = Clock::now();
  uint32_t host_ms(Clock::time_point at) const {
    return static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(at - started).count());
  }
  std::shared_ptr<AgentMetrics> metrics;
  std::shared_ptr<AgentObserver> observer;
  std::map<std::string, RunAgents> runs;  // by run id; none without agents
  size_t running = 0;
  // The mock agents waiting for their duration, by when it has passed: one
  // timer for all of them rather than a delayed message each.
  DueBuckets<Running> timers;
  std::optional<Clock::time_point> wake_at;  // of the next wake_atom
  std::set<caf::actor_addr> watched_sinks;
  // Results of runs whose sink went down, for the next coordinator.
  std::vector<v1::StoryResult> undelivered;
  // Batches sent within kResultKeepWindow, oldest first, and their results' count.
  struct Sent {
    Clock::time_point at;
    caf::actor_addr sink;
    v1::ResultBatch batch;
  };
  std::deque<Sent> recently_sent;
  size_t recently_sent_results = 0;
  std::map<caf::actor, v1::ResultBatch> pending;
  bool flush_scheduled = false;
  bool draining = false;
  std::string fence_reason;  // of the last fence
  // Answered when the last running agent has reported.
  std::vector<caf::typed_response_promise<bool>> drained;
  // Runs cancelled as a whole here, the last kCancelledRunsKept, oldest first.
  std::deque<std::string> cancelled_order;
  std::set<std::string> cancelled_runs;
  static inline const char* name = "rad.agent_host";
};

// `metrics`: where this node's agents are counted (actors/agent_metrics.h); null: nowhere.
// `observer`: told of each attempt started and ended here; null: no one.
caf::behavior agent_host(caf::stateful_actor<AgentHostState>* self, AgentContext identity,
                         uint32_t max_agents, std::shared_ptr<AgentMetrics> metrics,
                         std::shared_ptr<AgentObserver> observer);

}  // namespace rad
