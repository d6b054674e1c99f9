#include "actors/dispatcher.h"

#include <spdlog/logger.h>

#include <algorithm>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <deque>
#include <limits>
#include <map>
#include <tuple>

#include "actors/agent.h"
#include "actors/replacements.h"
#include "protocol/run.h"
#include "runtime/clock.h"
#include "runtime/link_envelope.h"
#include "runtime/logging.h"
#include "runtime/peer_guard.h"
#include "runtime/proto_bridge.h"
#include "runtime/trace.h"

namespace rad {
namespace {

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
  // batch to a node is made (protocol/placement.h): 32 bytes, not a
  // SpawnRequest.
  struct Queued {
    std::shared_ptr<const PlacementGroup> group;
    PlacedAttempt attempt;
  };
  static_assert(sizeof(Queued) <= 32, "a queued attempt stays small: a wave may queue millions");
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
    run_actor sink;  // where its result goes
    // Where it was sent (or runs, adopted); empty while awaited after a restart.
    std::string node;
    bool accepted = false;    // `node` took it: lost with `node`
    bool holds_slot = false;  // it holds one of `node`'s command slots
    // Its run's Run actor stopped and another took over since it was sent
    // (resink_atom): a result sent straight to the old one was lost.
    bool resunk = false;
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

// (release_atom, node id, generation): a silent node's hold is over.
using release_atom = caf::atom_constant<caf::atom("release")>;
// Ends the adoption window.
using adopt_over_atom = caf::atom_constant<caf::atom("adoptover")>;

// The protocol and what the Dispatcher sends itself: its timers.
using dispatcher_impl =
    dispatcher_actor::extend<caf::reacts_to<release_atom, std::string, uint64_t>,
                             caf::reacts_to<adopt_over_atom>>;

using Self = dispatcher_impl::stateful_pointer<DispatcherState>;
constexpr auto kSpawnReplyTimeout = std::chrono::seconds{30};

using Queued = DispatcherState::Queued;

DispatcherState::Key key_of(const std::string& run, const std::string& story, uint32_t attempt) {
  return {run, story, attempt};
}
DispatcherState::Key key_of(const Queued& q) {
  return {q.group->run_id, q.attempt.story->id(), q.attempt.attempt};
}

// -- the queue and command slots ----------------------------------------------

// Exec requests a node takes now: its free command slots, plus a quarter of
// its slots more that wait there. A slot freed on the node is then taken at
// once, not a result's round trip to the coordinator later, which on a busy
// machine kept a fifth of the slots idle.
uint32_t free_slots(const DispatcherState& st, const DispatcherState::Target& target) {
  if (target.exec_slots == 0) return std::numeric_limits<uint32_t>::max();
  auto it = st.exec_busy.find(target.node_id);
  uint32_t busy = it == st.exec_busy.end() ? 0 : it->second;
  uint32_t takes = target.exec_slots + (target.exec_slots + 3) / 4;
  return busy >= takes ? 0 : takes - busy;
}
// One of the command slots of the node `p` was sent to.
void take_slot(DispatcherState& st, DispatcherState::Pending& p) {
  if (p.holds_slot) return;
  p.holds_slot = true;
  ++st.exec_busy[p.node];
}

void release_slot(DispatcherState& st, DispatcherState::Pending& p) {
  if (!p.holds_slot) return;
  if (auto it = st.exec_busy.find(p.node); it != st.exec_busy.end() && --it->second == 0)
    st.exec_busy.erase(it);
  p.holds_slot = false;
}

bool accepted_on(const DispatcherState::Pending& p, const std::string& node_id) {
  return p.accepted && p.node == node_id;
}

// Attempts of one run join the queue; `sink` is where their results go.
template <class It>
void enqueue(DispatcherState& st, const std::shared_ptr<const PlacementGroup>& group, It first,
             It last, const run_actor& sink) {
  if (first == last) return;
  st.queued.by_run[group->run_id] += static_cast<uint32_t>(std::distance(first, last));
  st.routes[group->run_id] = sink;
  st.queued_changed = true;
  for (; first != last; ++first) {
    bool exec = first->story->has_exec();
    ++(exec ? st.queued.exec : st.queued.other);
    (exec ? st.exec_queue : st.queue).push_back({group, *first});
  }
}

// Where the results of a queued attempt's run go.
const run_actor& sink_of(const DispatcherState& st, const Queued& q) {
  static const run_actor none;
  auto it = st.routes.find(q.group->run_id);
  return it == st.routes.end() ? none : it->second;
}

// The attempt left the queue (sent, or dropped by a cancel).
void unqueued(DispatcherState& st, const Queued& q) {
  auto& counts = st.queued;
  --(q.attempt.story->has_exec() ? counts.exec : counts.other);
  if (auto it = counts.by_run.find(q.group->run_id);
      it != counts.by_run.end() && --it->second == 0) {
    st.routes.erase(q.group->run_id);
    counts.by_run.erase(it);
  }
  st.queued_changed = true;
}

void publish_queue(Self self) {
  auto& st = self->state;
  if (!st.queued_changed || !st.options.views) return;
  st.options.views->queue.set(st.queued);
  st.queued_changed = false;
}

// A result for `sink`, sent with the others at the end of the handler: moved
// from `result` when there is one (results pass through here: no copy of
// each), made up from `outcome` and `why` otherwise.
void deliver(Self self, const run_actor& sink, const DispatcherState::Key& key, v1::Outcome outcome,
             v1::StoryResult* result, const std::string& why) {
  if (!sink) return;
  auto* r = self->state.outbox[sink].add_results();
  if (result) {
    *r = std::move(*result);
    return;
  }
  r->set_run_id(std::get<0>(key));
  r->set_story_id(std::get<1>(key));
  r->set_attempt(std::get<2>(key));
  r->set_outcome(outcome);
  r->set_error(why);
  *r->mutable_finished_at() = now_timestamp();
}

// One pending attempt is settled, by its result or without one (refused,
// lost, cancelled): its sink is sent the result.
void settle(Self self, const DispatcherState::Key& key, v1::Outcome outcome,
            v1::StoryResult* result, const std::string& why = {}) {
  auto& st = self->state;
  auto it = st.pending.find(key);
  if (it == st.pending.end()) return;  // a duplicate result: already settled
  auto pending = std::move(it->second);
  st.pending.erase(it);
  release_slot(st, pending);
  deliver(self, pending.sink, key, outcome, result, why);
}

// The next sync asks `sink`: it got results.
void sync_later(Self self, const run_actor& sink) {
  if (sink && self->state.synced_since.insert(sink).second) self->monitor(sink);
}

// Results for sinks go out once per handled message, many to a batch.
void flush_outbox(Self self) {
  for (auto& [sink, batch] : self->state.outbox) {
    self->send(sink, proto(std::move(batch)));
    sync_later(self, sink);
  }
  self->state.outbox.clear();
}

// A node sent the attempt's result straight to its Run, and then this notice:
// the attempt is settled here too. Unless another Run took over from the one
// it was sent to (resink_atom): that one may have stopped with the result
// unread, so the new one is told the attempt was lost (a Run applies one
// result per attempt: if the real one reached it, this is ignored).
void settled_at_run(Self self, const DispatcherState::Key& key) {
  auto& st = self->state;
  auto it = st.pending.find(key);
  if (it == st.pending.end()) return;  // settled already (lost with its node, ...)
  if (it->second.resunk) {
    settle(self, key, v1::OUTCOME_NODE_LOST, nullptr,
           "its result went to a run actor that had stopped");
    return;
  }
  release_slot(st, it->second);
  sync_later(self, it->second.sink);
  st.pending.erase(it);
}

// A run that ended is durable: a sync need not ask it.
void sink_down(Self self, const caf::actor_addr& gone) {
  // Still held there, so still a strong handle.
  if (auto sink = caf::actor_cast<run_actor>(gone)) self->state.synced_since.erase(sink);
}

// Each run sent results is asked for its status after them: it answers once
// what it shows, those results included, is durable.
caf::result<bool> sync(Self self) {
  flush_outbox(self);
  auto sinks = std::move(self->state.synced_since);
  self->state.synced_since.clear();
  for (const auto& sink : sinks) self->demonitor(sink.address());
  if (sinks.empty()) return true;
  auto promise = self->make_response_promise<bool>();
  auto left = std::make_shared<size_t>(sinks.size());
  auto one_done = [=]() mutable {
    if (--*left == 0) promise.deliver(true);
  };
  for (const auto& sink : sinks)
    self->request(sink, std::chrono::seconds{10}, status_atom::value, false)
        .then([=](const Proto<v1::RunStatus>&) mutable { one_done(); },
              [=](caf::error&) mutable { one_done(); });  // a run that ended is durable
  return promise;
}

void pump(Self self);

// A sent attempt goes back to the queue, unless its run was cancelled
// meanwhile or it was settled already.
void requeue(Self self, Queued q) {
  auto& st = self->state;
  auto key = key_of(q);
  auto p = st.pending.find(key);
  if (p == st.pending.end()) return;
  if (st.cancelled_runs.count(q.group->run_id)) {
    settle(self, key, v1::OUTCOME_CANCELLED, nullptr, "run cancelled");
    return;
  }
  release_slot(st, p->second);
  auto sink = std::move(p->second.sink);
  st.pending.erase(p);
  enqueue(st, q.group, &q.attempt, &q.attempt + 1, sink);
}

// The node refused work for good (it is draining): never place work there again.
void close_node(Self self, const std::string& node_id) {
  auto& st = self->state;
  if (!st.closed_nodes.insert(node_id).second) return;
  st.log->info("node {} is draining; placing no more agents there", node_id);
  st.targets.erase(std::remove_if(st.targets.begin(), st.targets.end(),
                                  [&](const auto& t) { return t.node_id == node_id; }),
                   st.targets.end());
}

// The node is down: what it accepted and has not reported never will.
void node_lost(Self self, const std::string& node_id) {
  auto& st = self->state;
  st.hosts.erase(node_id);
  std::vector<DispatcherState::Key> lost;
  for (const auto& [key, p] : st.pending)
    if (accepted_on(p, node_id)) lost.push_back(key);
  if (!lost.empty())
    st.log->warn("node {} is down: {} of its agents will not report", node_id, lost.size());
  auto now = Replacements::Clock::now();
  for (const auto& key : lost) {
    st.replacements.lost(node_id, std::get<0>(key), std::get<1>(key), now);
    settle(self, key, v1::OUTCOME_NODE_LOST, nullptr, "node lost");
  }
  auto& running = st.adoption.running;
  for (auto it = running.begin(); it != running.end();)
    it = it->second == node_id ? running.erase(it) : std::next(it);
  // Back, it is asked again: its agents report to this Dispatcher from then on.
  st.asked.erase(node_id);
  // Gone for good unless it comes back (then it refuses again if it drains).
  st.closed_nodes.erase(node_id);
  // Batches it never answered: placed again now rather than when their
  // requests time out. It may have started some (its answer was on the way),
  // so they are lost like the rest: their stories go on as new attempts,
  // and no attempt number ever runs twice.
  size_t requeued = 0;
  for (auto it = st.unanswered.begin(); it != st.unanswered.end();) {
    if (it->second.node_id != node_id) {
      ++it;
      continue;
    }
    for (const auto& q : it->second.attempts) {
      st.replacements.lost(node_id, q.group->run_id, q.attempt.story->id(), now);
      settle(self, key_of(q), v1::OUTCOME_NODE_LOST, nullptr, "node lost");
      ++requeued;
    }
    it = st.unanswered.erase(it);
  }
  if (requeued > 0)
    st.log->warn("node {} is down: {} requests it never answered are placed again", node_id,
                 requeued);
  pump(self);
}

// The node went silent: its agents may run until its lease is out, so its
// attempts stay where they are until then (or until it comes back).
void hold_node(Self self, const std::string& node_id, std::chrono::milliseconds hold) {
  auto& st = self->state;
  auto generation = st.next_hold++;
  st.held[node_id] = generation;
  // Back, it is asked what it runs: its answer settles the hold.
  st.asked.erase(node_id);
  size_t attempts = 0;
  for (const auto& [key, p] : st.pending) attempts += accepted_on(p, node_id);
  st.log->warn("node {} is down (silent): its {} attempts wait {} ms for its lease to run out",
               node_id, attempts, hold.count());
  self->delayed_send(self, hold, release_atom::value, node_id, generation);
}

// A held node answered what it runs: those attempts are adopted, the rest of
// its attempts are lost (placed again now), and so are the requests it never
// answered, unless it runs them.
void settle_hold(Self self, const std::string& node_id, const v1::AgentReport& report) {
  auto& st = self->state;
  if (!st.held.erase(node_id)) return;
  std::set<DispatcherState::Key> running;
  for (const auto& ref : report.running())
    running.insert(key_of(ref.run_id(), ref.story_id(), ref.attempt()));
  // Requests it never answered: those it runs are its own, like the rest.
  for (auto it = st.unanswered.begin(); it != st.unanswered.end();) {
    if (it->second.node_id != node_id) {
      ++it;
      continue;
    }
    for (auto& q : it->second.attempts) {
      auto key = key_of(q);
      auto p = st.pending.find(key);
      if (p == st.pending.end()) continue;  // its result came with the report: settled
      if (running.count(key))
        p->second.accepted = true;  // it was sent there
      else
        requeue(self, std::move(q));
    }
    it = st.unanswered.erase(it);
  }
  size_t adopted = 0;
  std::vector<DispatcherState::Key> lost;
  for (const auto& [key, p] : st.pending) {
    if (!accepted_on(p, node_id)) continue;
    if (running.count(key))
      ++adopted;
    else
      lost.push_back(key);
  }
  st.log->info("node {} is back: {} of its attempts run on there, {} are placed again", node_id,
               adopted, lost.size());
  for (const auto& key : lost) settle(self, key, v1::OUTCOME_NODE_LOST, nullptr, "node lost");
  pump(self);
}

// Cancels the queued requests the cancel covers and asks every node to cancel
// its running agents; their results settle the rest.
void cancel(Self self, const v1::CancelRequest& cancel) {
  auto& st = self->state;
  auto covers = [&](const std::string& run_id, const std::string& story_id) {
    if (run_id != cancel.run_id()) return false;
    return cancel.story_ids().empty() ||
           std::find(cancel.story_ids().begin(), cancel.story_ids().end(), story_id) !=
               cancel.story_ids().end();
  };
  if (cancel.story_ids().empty()) {
    if (st.cancelled_runs.insert(cancel.run_id()).second) {
      st.cancelled_order.push_back(cancel.run_id());
      if (st.cancelled_order.size() > DispatcherState::kCancelledRunsKept) {
        st.cancelled_runs.erase(st.cancelled_order.front());
        st.cancelled_order.pop_front();
      }
    }
    st.replacements.forget_run(cancel.run_id());
  }
  size_t dropped_queued = 0;
  for (auto* queue : {&st.queue, &st.exec_queue}) {
    std::deque<Queued> kept;
    for (auto& q : *queue) {
      if (!covers(q.group->run_id, q.attempt.story->id())) {
        kept.push_back(std::move(q));
        continue;
      }
      deliver(self, sink_of(st, q), key_of(q), v1::OUTCOME_CANCELLED, nullptr, "run cancelled");
      unqueued(st, q);
      ++dropped_queued;
    }
    *queue = std::move(kept);
  }
  std::vector<DispatcherState::Key> dropped;
  for (auto it = st.adoption.unclaimed.begin(); it != st.adoption.unclaimed.end();) {
    if (!covers(it->second.run_id(), it->second.story().id())) {
      ++it;
      continue;
    }
    dropped.push_back(it->first);
    it = st.adoption.unclaimed.erase(it);
  }
  st.log->info("cancel of run {}: {} queued requests dropped, {} nodes told", cancel.run_id(),
               dropped_queued + dropped.size(), st.hosts.size());
  for (const auto& key : dropped)
    settle(self, key, v1::OUTCOME_CANCELLED, nullptr, "run cancelled");
  // A whole run's cancel goes ahead of the spawn batches still in a host's
  // mailbox: they are refused then (the host remembers the run), rather than
  // spawned and ended. Behind 8 batches a node, a cancel of 100,000 agents
  // took a busy machine more than the second it is given.
  for (const auto& [node_id, host] : st.hosts)
    if (cancel.story_ids().empty())
      link_send<caf::message_priority::high>(self, host, proto(cancel));
    else
      link_send(self, host, proto(cancel));
  publish_queue(self);
}

// Batches sent to the node and not answered yet: its share of the window.
int in_flight(const DispatcherState& st, const std::string& node_id) {
  return static_cast<int>(
      std::count_if(st.unanswered.begin(), st.unanswered.end(),
                    [&](const auto& u) { return u.second.node_id == node_id; }));
}

void send_batch(Self self, size_t target_index) {
  auto& st = self->state;
  auto& target = st.targets[target_index];
  v1::SpawnBatch batch;
  batch.set_batch_id(st.next_batch++);
  auto node_id = target.node_id;
  std::vector<Queued> sent;
  // Attempts of one hand-over come one after the other: one route lookup
  // each. The node sends their results straight to their Run.
  const PlacementGroup* routed = nullptr;
  run_actor sink;
  ResultRoutes routes;
  auto take = [&](std::deque<Queued>& from) -> DispatcherState::Pending& {
    auto& q = sent.emplace_back(std::move(from.front()));
    from.pop_front();
    if (q.group.get() != routed) {
      routed = q.group.get();
      sink = sink_of(st, q);
      if (sink && !routes.find(q.group->run_id)) routes.add(q.group->run_id, sink);
    }
    auto& p = st.pending[key_of(q)];
    p.sink = sink;
    p.node = node_id;
    unqueued(st, q);
    *batch.add_requests() = spawn_request_of(*q.group, q.attempt);
    return p;
  };
  while (!st.queue.empty() && batch.requests_size() < st.options.batch_size) take(st.queue);
  for (auto slots = free_slots(st, target);
       slots > 0 && !st.exec_queue.empty() && batch.requests_size() < st.options.batch_size;
       --slots)
    take_slot(st, take(st.exec_queue));
  traced(batch, batch.requests_size() > 0 ? batch.requests(0).trace().traceparent() : "");
  auto batch_id = batch.batch_id();
  st.unanswered.emplace(batch_id, DispatcherState::Unanswered{node_id, std::move(sent)});
  self->state.log->debug("batch {} of {} to {} (in flight {}), queued {} + {} exec", batch_id,
                         batch.requests_size(), node_id, in_flight(st, node_id), st.queue.size(),
                         st.exec_queue.size());
  // Its attempts, taken once; none when the batch was already given up with
  // its node (node_lost).
  auto answered = [=]() -> std::optional<std::vector<Queued>> {
    auto it = self->state.unanswered.find(batch_id);
    if (it == self->state.unanswered.end()) return std::nullopt;
    auto attempts = std::move(it->second.attempts);
    self->state.unanswered.erase(it);
    return attempts;
  };
  link_request(self, target.host, kSpawnReplyTimeout, proto(std::move(batch)), std::move(routes))
      .then(
          [=](const Proto<v1::SpawnReply>& reply) {
            auto attempts = answered();
            if (!attempts) return;
            const auto& decisions = reply.value.decisions();
            bool draining = false;
            for (int i = 0; i < decisions.size(); ++i) {
              const auto& d = decisions[i];
              auto key = key_of(d.run_id(), d.story_id(), d.attempt());
              if (d.accepted()) {
                if (auto p = self->state.pending.find(key); p != self->state.pending.end())
                  p->second.accepted = true;
                if (!self->state.replacements.empty())
                  if (auto line = self->state.replacements.placed(d.run_id(), d.story_id(),
                                                                  Replacements::Clock::now()))
                    self->state.log->info("{}", *line);
                continue;
              }
              if (d.retry_elsewhere() && static_cast<size_t>(i) < attempts->size()) {
                draining = true;
                requeue(self, std::move((*attempts)[static_cast<size_t>(i)]));
              } else {
                settle(self, key, v1::OUTCOME_UNSPECIFIED, nullptr, d.refusal());
              }
            }
            if (draining) close_node(self, node_id);
            pump(self);
            flush_outbox(self);
          },
          [=](caf::error& err) {
            auto attempts = answered();
            if (!attempts) return;
            self->state.log->warn(
                "spawn batch to node {} failed ({}); placing its {} requests again", node_id,
                self->system().render(err), attempts->size());
            // The node is gone or did not answer, and may have started them:
            // new attempts, never the same attempt twice.
            for (const auto& q : *attempts)
              settle(self, key_of(q), v1::OUTCOME_NODE_LOST, nullptr,
                     "node did not answer the spawn");
            pump(self);
            flush_outbox(self);
          });
}

// Sends batches round-robin to the nodes with room in their window (and, for
// exec requests, a free command slot) until the queue is empty or no node has room.
void pump(Self self) {
  auto& st = self->state;
  while (!st.queue.empty() || !st.exec_queue.empty()) {
    size_t n = st.targets.size(), chosen = n;
    for (size_t i = 0; i < n && chosen == n; ++i) {
      size_t candidate = (st.next_target + i) % n;
      const auto& target = st.targets[candidate];
      bool has_work = !st.queue.empty() || free_slots(st, target) > 0;
      if (has_work && in_flight(st, target.node_id) < st.options.window) chosen = candidate;
    }
    if (chosen == n) break;  // every node's window or slots are full, or there is no node
    st.next_target = chosen + 1;
    send_batch(self, chosen);
  }
  publish_queue(self);
}

// -- adoption after a restart -------------------------------------------------

// Attempts no node claimed are lost (the run goes on with new attempts, or
// ends an idempotent: false story): they died with
// their node or their results with the old coordinator. Called once, when the
// last awaited node answered or the window passed with some still awaited.
// Whether a recovery is under way: ready_atom's answer.
Verdict recovery(Self self) {
  const auto& ad = self->state.adoption;
  if (!ad.open()) return {true, "no recovery under way"};
  return {false, "recovering: " + std::to_string(ad.awaited.size()) +
                     " nodes of the last view have yet to report their agents, " +
                     std::to_string(ad.unclaimed.size()) + " attempts await them"};
}

void publish_recovery(Self self) {
  if (self->state.options.views) self->state.options.views->recovery.set(recovery(self));
}

void close_adoption(Self self, const std::string& why) {
  auto& ad = self->state.adoption;
  auto unclaimed = std::move(ad.unclaimed);
  ad.unclaimed.clear();
  ad.awaited.clear();
  // Published before it is logged: whoever reads the log finds it in /health.
  publish_recovery(self);
  self->state.log->info("adoption over ({}): {} attempts no node reported are lost", why,
                        unclaimed.size());
  // They may have started before the restart: new attempts, never the same twice.
  for (auto& [key, request] : unclaimed)
    settle(self, key, v1::OUTCOME_NODE_LOST, nullptr,
           "no node reported it after the coordinator restarted");
  pump(self);
}

void node_reported(Self self, const std::string& node_id, v1::AgentReport& report) {
  auto& st = self->state;
  auto& ad = st.adoption;
  size_t adopted = 0, delivered = 0;
  for (auto& r : *report.mutable_undelivered()) {
    auto key = key_of(r.run_id(), r.story_id(), r.attempt());
    if (st.pending.count(key)) {
      ad.unclaimed.erase(key);
      settle(self, key, r.outcome(), &r);
      ++delivered;
    } else if (!ad.window_passed) {
      ad.results[key] = std::move(r);
    }
  }
  for (const auto& ref : report.running()) {
    auto key = key_of(ref.run_id(), ref.story_id(), ref.attempt());
    auto p = st.pending.find(key);
    auto unclaimed = ad.unclaimed.find(key);
    if (p != st.pending.end() && unclaimed != ad.unclaimed.end()) {
      p->second.node = node_id;
      p->second.accepted = true;
      if (unclaimed->second.story().has_exec()) take_slot(st, p->second);
      ad.unclaimed.erase(unclaimed);
      ++adopted;
    } else if (p == st.pending.end() && !ad.window_passed) {
      ad.running[key] = node_id;
    }
  }
  if (report.running_size() + report.undelivered_size() > 0)
    st.log->info("node {} runs {} attempts and kept {} results: {} adopted, {} delivered", node_id,
                 report.running_size(), report.undelivered_size(), adopted, delivered);
  if (ad.awaited.erase(node_id) && ad.awaited.empty())
    close_adoption(self, "every node of the last view answered");
  publish_recovery(self);
}

// Asks a node that newly hosts agents what it runs already.
void ask_node(Self self, const DispatcherState::Target& target) {
  if (!self->state.asked.insert(target.node_id).second) return;
  auto node_id = target.node_id;
  link_request(self, target.host, kSpawnReplyTimeout, adopt_atom::value)
      .then(
          [=](const Proto<v1::AgentReport>& answer) {
            auto report = answer.value;  // its results are moved on to their runs
            node_reported(self, node_id, report);
            // Only a node's own answer settles its hold: without one, its
            // lease decides.
            settle_hold(self, node_id, report);
            flush_outbox(self);
          },
          [=](caf::error& err) {
            self->state.log->warn("node {} did not say what it runs: {}", node_id,
                                  self->system().render(err));
            v1::AgentReport none;
            node_reported(self, node_id, none);
            flush_outbox(self);
          });
}

// The placed attempts of a resumed run: adopted when a node reports them.
void adopt(Self self, const v1::SpawnBatch& requests, const run_actor& sink) {
  auto& st = self->state;
  auto& ad = st.adoption;
  size_t adopted = 0, delivered = 0, awaited = 0, lost = 0;
  for (const auto& r : requests.requests()) {
    auto key = key_of(r.run_id(), r.story().id(), r.attempt());
    st.pending[key].sink = sink;
    if (auto result = ad.results.find(key); result != ad.results.end()) {
      settle(self, key, result->second.outcome(), &result->second);
      ad.results.erase(result);
      ++delivered;
    } else if (auto node = ad.running.find(key); node != ad.running.end()) {
      auto& p = st.pending[key];
      p.node = node->second;
      p.accepted = true;
      if (r.story().has_exec()) take_slot(st, p);
      ad.running.erase(node);
      ++adopted;
    } else if (ad.open()) {
      ad.unclaimed.emplace(key, r);
      ++awaited;
    } else {
      settle(self, key, v1::OUTCOME_NODE_LOST, nullptr,
             "no node reported it after the coordinator restarted");
      ++lost;
    }
  }
  if (!requests.requests().empty())
    st.log->info(
        "run {}: of {} attempts placed before the restart, {} adopted, {} results "
        "delivered, {} awaited from nodes, {} lost (their stories go on as new attempts, "
        "unless idempotent: false)",
        requests.requests(0).run_id(), requests.requests_size(), adopted, delivered, awaited, lost);
  pump(self);
}

// The nodes where attempts may run, kept in the checkpoint for the next
// restart: those hosting agents now, those still awaited from the view before
// the last restart, and those running an attempt not yet settled. A node
// leaves the set only when nothing may run there: after coordinator kill -9s
// in quick succession, a node that had not rejoined yet is still awaited by
// the next coordinator, which therefore places none of its attempts again.
void keep_nodes(Self self) {
  auto& st = self->state;
  if (!st.options.checkpoint) return;
  std::set<std::string> ids = st.adoption.awaited;
  for (const auto& t : st.targets) ids.insert(t.node_id);
  for (const auto& [key, p] : st.pending)
    if (p.accepted) ids.insert(p.node);
  ids.erase(st.options.local_node_id);
  v1::AgentNodes nodes;
  for (const auto& id : ids) nodes.add_node_ids(id);
  if (nodes.SerializeAsString() == st.kept_nodes.SerializeAsString()) return;
  st.kept_nodes = nodes;
  self->send(st.options.checkpoint, proto(std::move(nodes)));
}

dispatcher_impl::behavior_type dispatcher(Self self, DispatcherOptions options) {
  auto& ad = self->state.adoption;
  for (const auto& id : options.adopt_from)
    if (id != options.local_node_id) ad.awaited.insert(id);
  self->delayed_send(self, options.adopt_window, adopt_over_atom::value);
  self->state.options = std::move(options);
  self->state.log = logger("dispatch");
  publish_recovery(self);
  publish_queue(self);
  if (!ad.awaited.empty())
    self->state.log->info("awaiting the agents of {} nodes of the last view for up to {} ms",
                          ad.awaited.size(), self->state.options.adopt_window.count());
  guard_against_peers(self, self->state.log);
  self->set_down_handler([=](caf::down_msg& dm) { sink_down(self, dm.source); });
  return {
      [=](members_atom, const std::vector<std::string>& ids,
          const std::vector<agent_host_actor>& hosts, const std::vector<uint32_t>& exec_slots) {
        auto& st = self->state;
        std::vector<DispatcherState::Target> next;
        for (size_t i = 0; i < ids.size() && i < hosts.size(); ++i) {
          st.hosts[ids[i]] = hosts[i];
          if (st.closed_nodes.count(ids[i])) continue;
          next.push_back({ids[i], hosts[i], i < exec_slots.size() ? exec_slots[i] : 0});
        }
        st.targets = std::move(next);
        self->state.log->debug("{} nodes take agents", st.targets.size());
        for (const auto& t : st.targets) ask_node(self, t);
        keep_nodes(self);
        pump(self);
      },
      [=](sync_atom) { return sync(self); },
      [=](handover_atom, const Proto<v1::SpawnBatch>& requests) {
        adopt(self, requests.value, caf::actor_cast<run_actor>(self->current_sender()));
        publish_recovery(self);
        flush_outbox(self);
      },
      [=](ready_atom) {
        auto verdict = recovery(self);
        return caf::result<bool, std::string>{verdict.ok, std::move(verdict.message)};
      },
      [=](adopt_over_atom) {
        auto& ad = self->state.adoption;
        if (ad.open()) close_adoption(self, "the adoption window passed");
        // Reports no run asked for by now are of runs that ended before.
        ad.window_passed = true;
        ad.results.clear();
        ad.running.clear();
        flush_outbox(self);
      },
      [=](place_atom, const Placement& placement) {
        auto& st = self->state;
        auto sink = caf::actor_cast<run_actor>(self->current_sender());
        const auto& attempts = placement.attempts;
        // Sent before the run's cancel reached its Run: never placed.
        if (st.cancelled_runs.count(placement.group->run_id)) {
          for (const auto& a : attempts)
            deliver(self, sink, key_of(placement.group->run_id, a.story->id(), a.attempt),
                    v1::OUTCOME_CANCELLED, nullptr, "run cancelled");
        } else {
          enqueue(st, placement.group, attempts.begin(), attempts.end(), sink);
        }
        pump(self);
        flush_outbox(self);
      },
      [=](resink_atom, const std::string& run_id) {
        // Keys order by run first: the run's requests are one range.
        auto sink = caf::actor_cast<run_actor>(self->current_sender());
        std::vector<std::string> open;
        auto& pending = self->state.pending;
        for (auto it = pending.lower_bound({run_id, "", 0});
             it != pending.end() && std::get<0>(it->first) == run_id; ++it) {
          if (!it->second.sink) continue;
          it->second.sink = sink;
          it->second.resunk = true;
          open.push_back(std::get<1>(it->first));
        }
        if (auto route = self->state.routes.find(run_id); route != self->state.routes.end()) {
          route->second = sink;
          for (const auto* queue : {&self->state.queue, &self->state.exec_queue})
            for (const auto& q : *queue)
              if (q.group->run_id == run_id) open.push_back(q.attempt.story->id());
        }
        return open;
      },
      [=](const Proto<v1::CancelRequest>& request) {
        cancel(self, request.value);
        flush_outbox(self);
        return true;
      },
      [=](node_lost_atom, const std::string& node_id, uint32_t hold_ms) {
        // Held already: gone for good only when its lease has surely run out.
        if (self->state.held.count(node_id)) return;
        if (hold_ms > 0)
          hold_node(self, node_id, std::chrono::milliseconds{hold_ms});
        else
          node_lost(self, node_id);
        flush_outbox(self);
      },
      [=](release_atom, const std::string& node_id, uint64_t generation) {
        auto& held = self->state.held;
        auto it = held.find(node_id);
        if (it == held.end() || it->second != generation) return;
        held.erase(it);
        node_lost(self, node_id);
        flush_outbox(self);
      },
      [=](const Proto<v1::SettledAttempts>& settled) {
        for (const auto& run : settled.value.runs())
          for (int i = 0; i < run.story_ids_size() && i < run.attempts_size(); ++i)
            settled_at_run(self, key_of(run.run_id(), run.story_ids(i), run.attempts(i)));
        pump(self);  // their command slots are free again
        flush_outbox(self);
      },
      [=](Proto<v1::ResultBatch>& batch) {
        self->state.log->debug("{} results from {}", batch.value.results_size(),
                               batch.value.node_id());
        for (auto& r : *batch.value.mutable_results())
          settle(self, key_of(r.run_id(), r.story_id(), r.attempt()), r.outcome(), &r);
        pump(self);  // their command slots are free again
        flush_outbox(self);
      },
  };
}

}  // namespace

dispatcher_actor spawn_dispatcher(caf::actor_system& system, DispatcherOptions options) {
  return system.spawn(dispatcher, std::move(options));
}

DispatcherTables dispatcher_tables(const dispatcher_actor& dispatcher) {
  const auto& st = static_cast<Self>(caf::actor_cast<caf::abstract_actor*>(dispatcher))->state;
  DispatcherTables t;
  t.pending = st.pending.size();
  t.queued = st.queue.size() + st.exec_queue.size();
  t.routes = st.routes.size();
  t.unanswered = st.unanswered.size();
  t.closed_nodes = st.closed_nodes.size();
  t.held = st.held.size();
  t.cancelled_runs = st.cancelled_runs.size();
  t.synced_since = st.synced_since.size();
  t.asked = st.asked;
  return t;
}

}  // namespace rad
