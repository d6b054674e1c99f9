// Dispatcher (coordinator): places the spawn requests of runs on the live
// nodes that host agents, many requests to a message and a bounded number of
// messages in flight per node (flow control: CAF does not throttle senders),
// and passes each result to the run that placed it (protocol/dispatcher.h:
// place_atom; the sender is the sink its results go to, as Proto<ResultBatch>).
//
// A Proto<CancelRequest> drops the queued requests it covers and reaches every
// node that was given work; cancelled agents answer with their results. A node
// that refuses a request because it drains gets no more. A request a node
// refuses for good comes back to its run with OUTCOME_UNSPECIFIED and the
// refusal; those a lost node had accepted, with OUTCOME_NODE_LOST.
//
// Adoption, after the coordinator restarted: every node that comes to host
// agents is asked what it runs (adopt_atom, answered by its AgentHost with an
// AgentReport). A resumed Run hands over the attempts its predecessor had
// placed (handover_atom, protocol/dispatcher.h); those a node reports running are
// adopted (their results come as usual), results a node kept are delivered,
// and the rest are placed again once every node of the last view
// (DispatcherOptions::adopt_from) has answered, or adopt_window has passed;
// but those of `idempotent: false` stories are settled as OUTCOME_NODE_LOST
// instead (their outcome is unknown: they may have run on a node lost meanwhile).
// Requests a node never acknowledged are placed again whatever the story says:
// they count as not started.
//
// Command slots: a node runs at most agents.exec_slots commands at once, so
// exec requests wait here, not on the node, until a node has a free slot
// (a request holds its node's slot from placing until it is settled or
// placed again); a node is given a quarter of its slots more, which wait
// there, so that a slot it frees is taken at once. The queue is published (NodeViews::queue) for
// GET /v1/runs/ID and rad_dispatch_queued. Until then it answers ready_atom (protocol/atoms.h)
// with false and why.
//
// Its messages are protocol/dispatcher.h: placement_actor from Runs,
// dispatcher_actor from the rest of the coordinator.
#pragma once

#include <spdlog/logger.h>

#include <caf/actor_system.hpp>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "actors/node_views.h"
#include "actors/replacements.h"
#include "protocol/agent_host.h"
#include "protocol/checkpoint.h"
#include "protocol/dispatcher.h"
#include "protocol/run.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/run.pb.h"

namespace rad {

// Requests per message to the Dispatcher at most. One message is read by one
// thread: 50,000 requests (1.5 MB) held the coordinator's link for ~400 ms,
// long enough for every worker to look suspect. Larger work is split.
inline constexpr int kMaxRequestsPerMessage = 10000;

struct DispatcherOptions {
  // Requests per SpawnBatch message.
  int batch_size = 1024;
  // SpawnBatch messages awaiting their SpawnReply, per node.
  int window = 8;
  // Where the nodes hosting agents are kept (Proto<AgentNodes>); null: nowhere.
  checkpoint_actor checkpoint{};
  // This node: its agents die with it, so it is never awaited after a restart.
  std::string local_node_id;
  // The nodes that hosted agents before a restart: attempts are awaited from them.
  std::vector<std::string> adopt_from;
  // How long placed attempts of resumed runs wait for a node to report them.
  std::chrono::milliseconds adopt_window{5000};
  // Where its readiness (ready_atom's answer) is published whenever it
  // changes, for /health; null: nowhere.
  std::shared_ptr<NodeViews> views;
};

struct DispatcherState {
  struct Target {
    std::string node_id;
    agent_host_actor host;    // its AgentHost
    uint32_t exec_slots = 0;  // 0: no limit
  };
  using Key = std::tuple<std::string, std::string, uint32_t>;  // run, story, attempt

  DispatcherOptions options;
  std::shared_ptr<spdlog::logger> log;
  std::vector<Target> targets;
  // The AgentHost of every node given work and not lost since, whether it
  // takes more now or not (its Monitor refuses, it drains): a cancel reaches
  // them all.
  std::map<std::string, agent_host_actor> hosts;
  size_t next_target = 0;
  // An attempt waiting for a node. Its story stays in its run's plan until a
  // batch to a node is made (protocol/placement.h): a million queued attempts
  // cost ~40 MB, not a SpawnRequest each.
  struct Queued {
    std::shared_ptr<const PlacementGroup> group;
    PlacedAttempt attempt;
  };
  // Attempts waiting for a node: exec ones wait for a command slot as well.
  // They are not `pending` until sent.
  std::deque<Queued> queue, exec_queue;
  // Where the results of each run with queued attempts go (the Run that
  // placed them); dropped with its last queued attempt.
  std::map<std::string, run_actor> routes;
  // Exec requests holding a slot, by node.
  std::map<std::string, uint32_t> exec_busy;
  // What is published as NodeViews::queue, and whether it changed since.
  DispatchQueue queued;
  bool queued_changed = true;
  // Attempts sent to a node (or handed over by a resumed run), until settled.
  struct Pending {
    run_actor sink;         // where its result goes
    std::string node_id;    // where it was accepted; empty until then
    std::string slot_node;  // whose command slot it holds; empty: none
  };
  std::map<Key, Pending> pending;
  // Nodes that refused work because they drain: never placed on again. A node
  // leaves the set when it is lost (node_lost_atom: down, left or replaced),
  // as its id never comes back then: it holds members only, whatever the
  // number of nodes (node ids are new for every process start) ever seen.
  std::set<std::string> closed_nodes;
  // Runs cancelled as a whole, the last kCancelledRunsKept, oldest first:
  // requests of theirs are not placed (again), also those that come after the
  // cancel.
  static constexpr size_t kCancelledRunsKept = 1024;
  std::set<std::string> cancelled_runs;
  std::deque<std::string> cancelled_order;
  // Batches sent and not yet answered, by batch id.
  struct Unanswered {
    std::string node_id;
    std::vector<Queued> attempts;  // in the batch's order
  };
  std::map<uint64_t, Unanswered> unanswered;
  // Adoption (see above): attempts awaiting a node's report, reports that came
  // before their run asked (kept for the window), and the nodes of the last
  // view yet to answer.
  struct Adoption {
    // Open while a node of the last view has yet to answer.
    bool open() const { return !awaited.empty(); }
    bool window_passed = false;
    std::map<Key, v1::SpawnRequest> unclaimed;
    std::map<Key, std::string> running;  // -> node id
    std::map<Key, v1::StoryResult> results;
    std::set<std::string> awaited;
  } adoption;
  // Silent nodes whose attempts wait for their lease to run out, by node id:
  // the generation of the hold, so that a stale release is told apart.
  std::map<std::string, uint64_t> held;
  uint64_t next_hold = 1;
  // Stories of lost nodes until they are placed again (logged then).
  Replacements replacements;
  // Nodes asked what they run, and the hosts last written to the checkpoint.
  std::set<std::string> asked;
  v1::AgentNodes kept_nodes;
  // Results for sinks, sent at the end of the handler that produced them, and
  // the sinks sent any since the last sync_atom. Those are monitored and
  // dropped when they go down (a run that ended is durable): a node that
  // never drains would otherwise keep every Run actor it ever served.
  std::map<run_actor, v1::ResultBatch> outbox;
  std::set<run_actor> synced_since;
  uint64_t next_batch = 1;
  static inline const char* name = "rad.dispatcher";
};

dispatcher_actor spawn_dispatcher(caf::actor_system& system, DispatcherOptions options);

// What `dispatcher` keeps, for tests: read it only while the actor is idle
// (it answered everything sent to it so far).
const DispatcherState& dispatcher_state(const dispatcher_actor& dispatcher);

}  // namespace rad
