#include "actors/agent_host.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <caf/make_counted.hpp>
#include <caf/node_id.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "actors/due_buckets.h"
#include "actors/slot_table.h"
#include "runtime/clock.h"
#include "runtime/error.h"
#include "runtime/link_envelope.h"
#include "runtime/logging.h"
#include "runtime/peer_guard.h"
#include "runtime/proto_bridge.h"
#include "runtime/span.h"
#include "runtime/trace.h"

namespace rad {
namespace {

// Results waiting longer than this are sent even if their batch is small.
constexpr auto kResultFlushInterval = std::chrono::milliseconds{2};
constexpr int kMaxResultsPerBatch = 1024;
// Results sent (or reported) this recently when their coordinator goes down
// may have died with it, unstored: they are offered again to the next one (a
// run applies one result per attempt, so one it had stored is ignored).
// Without this, the attempt would run again. A coordinator restarted on a busy
// host can take seconds to store what it was sent. At most kMaxResultsKept
// are kept.
constexpr auto kResultKeepWindow = std::chrono::seconds{10};
constexpr size_t kMaxResultsKept = 1 << 16;
// Whole runs cancelled here that are remembered, to refuse their late spawns.
constexpr size_t kCancelledRunsKept = 1024;

// The results collected are due to be sent.
using flush_atom = caf::atom_constant<caf::atom("flush")>;
// (wake_atom, int64 steady ticks): the host's own timer, due at that time.
using wake_atom = caf::atom_constant<caf::atom("wake")>;

// The protocol and what the host sends itself.
using agent_host_impl =
    agent_host_actor::extend<caf::reacts_to<flush_atom>, caf::reacts_to<wake_atom, int64_t>>;

struct AgentHostState {
  using Clock = std::chrono::steady_clock;
  AgentContext identity;
  // Whose work is taken besides this node's: the coordinator joined.
  caf::node_id coordinator;
  uint32_t max_agents = 0;
  struct Running;
  // Kept small: a node may hold 100,000s of idle agents (issues [6] and [8]).
  // A mock attempt's result is made here, from what this keeps.
  struct Running {
    mock_agent_actor agent;  // none for an exec attempt: it runs on the node's CommandRunner
    // What few attempts need: exec attempts are cancelled through a token; a sampled attempt's
    // `spawn` span goes back with its result, and a sampled mock attempt's `run` span too; an
    // agent of another kind than mock is counted as its kind.
    struct Extras {
      AgentKind kind = AgentKind::mock;
      std::optional<CancelToken> cancel;
      std::optional<v1::Span> spawn_span;
      std::shared_ptr<ActiveSpan> run_span;
      // Stopped because this node's lease ran out: its attempt is lost, not cancelled.
      bool fenced = false;
    };
    std::unique_ptr<Extras> extras;
    // A mock attempt's: its batch's run, node and trace, and how it ends
    // when it runs its course.
    AttemptContextPtr context;
    MockAgentId id = 0;  // how its mock agent names it (`ids`)
    // Where a mock agent waits for its duration in `timers`; none() otherwise.
    DueBuckets<Running>::Handle timer;
    // When it was spawned, by host_ms(): what its result reports as its start.
    uint32_t spawned_ms = 0;
    MockEnding ending;
    AgentKind kind() const { return extras ? extras->kind : AgentKind::mock; }
  };
  using AgentKey = std::pair<std::string, uint32_t>;  // story id, attempt
  using AgentEntry = std::pair<const AgentKey, Running>;
  // The agents of one run here, and where its results go
  // (protocol/agent_host.h): to `sink`, the run's Run actor, with `placer`
  // told which attempts settled; to `placer` itself when there is no sink;
  // with neither, they wait in `undelivered`.
  struct RunAgents {
    result_sink_actor sink;
    placer_actor placer;
    std::map<AgentKey, Running> agents;
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
  // The mock attempts, by the id their agents name them with.
  SlotTable<AgentEntry> ids;
  std::optional<Clock::time_point> wake_at;  // of the next wake_atom
  // Monitored: placers (a coordinator's Dispatcher) and sinks (its Runs).
  std::set<caf::actor_addr> watched_placers, watched_sinks;
  // Results of runs whose placer went down, for the next coordinator.
  std::vector<v1::StoryResult> undelivered;
  // Batches sent within kResultKeepWindow, oldest first, by the placer whose
  // coordinator was to store them, and their results' count.
  struct Sent {
    Clock::time_point at;
    caf::actor_addr placer;
    v1::ResultBatch batch;
  };
  std::deque<Sent> recently_sent;
  size_t recently_sent_results = 0;
  // Results collected, by where they go: to a run's sink, with `notify` (its
  // placer) told after them; or to a placer itself (`notify` none).
  struct Outgoing {
    placer_actor notify;
    v1::ResultBatch batch;
  };
  std::map<result_sink_actor, Outgoing> pending;
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

using Self = agent_host_impl::stateful_pointer<AgentHostState>;
// An idle agent's own cost here (issues [6] and [8]): with its key, a map
// node of 128 bytes.
static_assert(sizeof(AgentHostState::Running) <= 56);

// What the observer is shown of an attempt held here.
AgentAttempt attempt_of(const std::string& run_id, const std::pair<std::string, uint32_t>& key,
                        const AgentHostState::Running& running) {
  const CancelToken* cancel =
      running.extras && running.extras->cancel ? &*running.extras->cancel : nullptr;
  return {run_id, key.first, key.second, running.agent, cancel};
}

// Results just sent for `placer`'s coordinator, kept to be offered again if it
// dies with them unstored (kResultKeepWindow).
void keep_sent(AgentHostState& st, const caf::actor_addr& placer, v1::ResultBatch batch) {
  auto now = AgentHostState::Clock::now();
  while (!st.recently_sent.empty() &&
         (now - st.recently_sent.front().at > kResultKeepWindow ||
          st.recently_sent_results + batch.results_size() > kMaxResultsKept)) {
    st.recently_sent_results -= st.recently_sent.front().batch.results_size();
    st.recently_sent.pop_front();
  }
  st.recently_sent_results += batch.results_size();
  st.recently_sent.push_back({now, placer, std::move(batch)});
}

// Which attempts of `batch` settled, for their placer: by run, in the
// batch's order.
v1::SettledAttempts settled_of(const v1::ResultBatch& batch) {
  v1::SettledAttempts settled;
  v1::SettledRun* run = nullptr;
  for (const auto& r : batch.results()) {
    if (!run || run->run_id() != r.run_id()) {
      run = settled.add_runs();
      run->set_run_id(r.run_id());
    }
    run->add_story_ids(r.story_id());
    run->add_attempts(r.attempt());
  }
  settled.set_node_id(batch.node_id());
  settled.set_incarnation(batch.incarnation());
  return settled;
}

// Sends a batch of results, signed by this node and in the trace of its
// first; then, when it went to a run's sink, tells the placer which attempts
// settled (on the same link, so never before the results).
void send_results(Self self, const result_sink_actor& sink, AgentHostState::Outgoing out) {
  auto& batch = out.batch;
  batch.set_node_id(self->state.identity.node_id);
  batch.set_incarnation(self->state.identity.incarnation);
  const auto& traceparent =
      batch.results_size() > 0 ? batch.results(0).trace().traceparent() : std::string{};
  traced(batch, traceparent);
  std::optional<v1::SettledAttempts> settled;
  if (out.notify) {
    settled = settled_of(batch);
    traced(*settled, traceparent);
  }
  keep_sent(self->state, out.notify ? out.notify.address() : sink.address(), batch);
  if (settled)
    link_send_in_order(self, sink, proto(std::move(batch)), out.notify, proto(std::move(*settled)));
  else
    link_send(self, sink, proto(std::move(batch)));
}

void flush(Self self) {
  auto& st = self->state;
  for (auto& [sink, out] : st.pending) send_results(self, sink, std::move(out));
  st.pending.clear();
}

// Once draining and idle, every result is sent and the waiters are told.
void answer_drained(Self self) {
  auto& st = self->state;
  if (!st.draining || st.running > 0) return;
  flush(self);
  for (auto& promise : st.drained) promise.deliver(true);
  st.drained.clear();
}

caf::result<bool> drain(Self self) {
  auto& st = self->state;
  st.draining = true;
  if (st.running == 0) {
    flush(self);
    return true;
  }
  st.drained.push_back(self->make_response_promise<bool>());
  return st.drained.back();
}

// Arms the host's timer for its earliest agent, unless a wake comes by then.
void arm(Self self) {
  auto& st = self->state;
  auto due = st.timers.next();
  if (!due || (st.wake_at && *st.wake_at <= *due)) return;
  st.wake_at = due;
  auto delay = std::max(*due - AgentHostState::Clock::now(), AgentHostState::Clock::duration{0});
  self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(delay),
                     wake_atom::value, static_cast<int64_t>(due->time_since_epoch().count()));
}

// The agents whose duration has passed are told to finish.
void wake(Self self, int64_t armed_for) {
  auto& st = self->state;
  if (st.wake_at && st.wake_at->time_since_epoch().count() == armed_for) st.wake_at.reset();
  st.timers.pop_due(AgentHostState::Clock::now(), [&](AgentHostState::Running* running) {
    running->timer = st.timers.none();
    self->send(running->agent, finish_atom::value);
  });
  arm(self);
}

// How long an attempt ran, by its result.
std::chrono::duration<double> ran(const v1::StoryResult& r) {
  if (!r.has_started_at() || !r.has_finished_at()) return {};
  auto micros =
      google::protobuf::util::TimeUtil::DurationToMicroseconds(r.finished_at() - r.started_at());
  return std::chrono::microseconds{std::max<int64_t>(0, micros)};
}

// A result joins the next batch to `sink` (its placer told after), or to
// `placer` when it has no sink, or waits for the next coordinator.
void to_sink(Self self, result_sink_actor sink, placer_actor placer, v1::StoryResult result) {
  auto& st = self->state;
  if (!sink && !placer) {
    st.undelivered.push_back(std::move(result));
    return;
  }
  if (!sink) sink = caf::actor_cast<result_sink_actor>(std::exchange(placer, nullptr));
  auto& out = st.pending[sink];
  out.notify = std::move(placer);
  *out.batch.add_results() = std::move(result);
  if (out.batch.results_size() >= kMaxResultsPerBatch) {
    send_results(self, sink, std::move(out));
    st.pending.erase(sink);
  } else if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->delayed_send(self, kResultFlushInterval, flush_atom::value);
  }
}

void collect(Self self, v1::StoryResult result) {
  auto& st = self->state;
  auto run = st.runs.find(result.run_id());
  if (run == st.runs.end()) return;  // this attempt has reported already
  auto& agents = run->second.agents;
  auto it = agents.find({result.story_id(), result.attempt()});
  if (it == agents.end()) return;
  auto& running = it->second;
  // Stopped by the fence, its attempt is lost; one that ended by itself before
  // the stop took hold (its command had exited) keeps its outcome: it ran once.
  if (running.extras && running.extras->fenced && result.outcome() == v1::OUTCOME_CANCELLED) {
    result.set_outcome(v1::OUTCOME_NODE_LOST);
    result.set_error("stopped on " + st.identity.node_id + ": " + st.fence_reason);
  }
  if (st.metrics) st.metrics->ended(running.kind(), result.outcome(), ran(result));
  // With the agent's own `run` span: the coordinator keeps them for radctl trace.
  if (running.extras && running.extras->spawn_span)
    result.mutable_spans()->Add(std::move(*running.extras->spawn_span));
  st.timers.remove(running.timer, &running);
  st.ids.remove(running.id);
  if (st.observer) st.observer->ended(attempt_of(run->first, it->first, running));
  agents.erase(it);
  --st.running;
  auto sink = run->second.sink;
  auto placer = run->second.placer;
  // The run's last agent here: its entry (and sink) is no longer needed; a
  // new spawn makes it again.
  if (agents.empty()) st.runs.erase(run);
  to_sink(self, std::move(sink), std::move(placer), std::move(result));
  answer_drained(self);
}

void cancel_one(Self self, const AgentHostState::Running& running) {
  if (running.extras && running.extras->cancel) running.extras->cancel->cancel();
  if (running.agent) self->send(running.agent, cancel_atom::value);
}

// The lease ran out: the coordinator may place this node's work elsewhere
// from now on, so none of it may go on here.
void fence(Self self, const std::string& why) {
  auto& st = self->state;
  st.fence_reason = why;
  size_t stopped = 0;
  for (auto& [run_id, run] : st.runs)
    for (auto& [key, running] : run.agents) {
      if (!running.extras) running.extras = std::make_unique<AgentHostState::Running::Extras>();
      if (running.extras->fenced) continue;
      running.extras->fenced = true;
      cancel_one(self, running);
      ++stopped;
    }
  if (stopped > 0) logger("agents")->warn("{}: stopping {} agents", why, stopped);
}

// A whole run cancelled here: spawns of it that come later (batches already
// in flight at the cancel) are refused. The last kCancelledRunsKept are kept.
void remember_cancelled(AgentHostState& st, const std::string& run_id) {
  if (!st.cancelled_runs.insert(run_id).second) return;
  st.cancelled_order.push_back(run_id);
  if (st.cancelled_order.size() <= kCancelledRunsKept) return;
  st.cancelled_runs.erase(st.cancelled_order.front());
  st.cancelled_order.pop_front();
}

// A plain mock agent (no command, no span of its own to close) is ended by its
// host: nothing of its attempt is left but the timer the host holds.
bool ends_at_host(const AgentHostState::Running& running) {
  return running.agent && !running.extras;
}

// The result of the mock attempt `entry` holds, ended now with `outcome`
// (mock_result), started when it was spawned here.
v1::StoryResult result_here(const AgentHostState& st, const AgentHostState::AgentEntry& entry,
                            v1::Outcome outcome) {
  const auto& [key, running] = entry;
  auto now = std::chrono::system_clock::now();
  std::chrono::milliseconds ran{st.host_ms(AgentHostState::Clock::now()) - running.spawned_ms};
  return mock_result(*running.context, key.first, key.second, running.ending, outcome, now - ran,
                     running.extras ? running.extras->run_span : nullptr);
}

// A mock agent's attempt ended, as planned or cancelled.
void mock_ended(Self self, MockAgentId id, bool cancelled) {
  auto& st = self->state;
  auto* entry = st.ids.find(id);
  if (!entry) return;  // ended here already (a cancel crossed its report)
  collect(self, result_here(st, *entry,
                            cancelled ? v1::OUTCOME_CANCELLED : entry->second.ending.outcome));
}

// An attempt ended without its result (`r`, FAILED): its agent crashed, or
// was killed.
void crashed_attempt(Self self, v1::StoryResult r, const caf::error& reason) {
  auto why = self->system().render(reason);
  logger("agents")->warn("agent of story {} attempt {} of run {} crashed: {}", r.story_id(),
                         r.attempt(), r.run_id(), why);
  r.set_error("agent crashed: " + why);
  collect(self, std::move(r));
}

// A mock agent went without saying how its attempt ended: it failed.
void mock_crashed(Self self, MockAgentId id, const caf::error& reason) {
  auto* entry = self->state.ids.find(id);
  if (entry) crashed_attempt(self, result_here(self->state, *entry, v1::OUTCOME_FAILED), reason);
}

// Mock agents are ended here at once and told to stop without a word: at
// 100,000 agents, a cancel and a result message each, and the host collecting
// each result, took a second and more. Others are told to stop and report,
// first: their agents then run before the many dismissed ones, whose
// activations (80,000 on a busy machine) took longer than a second.
void cancel_matching(Self self, const v1::CancelRequest& c) {
  auto& st = self->state;
  if (c.story_ids().empty()) remember_cancelled(st, c.run_id());
  auto run = st.runs.find(c.run_id());
  if (run == st.runs.end()) return;
  std::unordered_set<std::string> stories(c.story_ids().begin(), c.story_ids().end());
  auto covered = [&](const auto& key) { return stories.empty() || stories.count(key.first); };
  size_t told = 0;
  for (const auto& [key, running] : run->second.agents)
    if (covered(key) && !ends_at_host(running)) {
      cancel_one(self, running);
      ++told;
    }
  std::vector<v1::StoryResult> ended;
  for (const auto& entry : run->second.agents)
    if (covered(entry.first) && ends_at_host(entry.second)) {
      self->send(entry.second.agent, dismiss_atom::value);
      ended.push_back(result_here(st, entry, v1::OUTCOME_CANCELLED));
    }
  // After the loop: collect() erases the agents (and the run, with its last).
  for (auto& r : ended) collect(self, std::move(r));
  logger("agents")->info("cancel of run {}: {} agents ended here, {} told to stop and report",
                         c.run_id(), ended.size(), told);
}

void watch(Self self, std::set<caf::actor_addr>& watched, const caf::actor_addr& who) {
  if (who && watched.insert(who).second) self->monitor(who);
}

// A run's Run actor went down (it crashed and another took over, or the run
// ended): the run's results go to its placer from now on, which passes them
// to the Run that took over. Those sent to it already were told to the
// placer, which settles what they leave open.
void run_sink_down(Self self, const caf::actor_addr& gone) {
  auto& st = self->state;
  for (auto& [run_id, run] : st.runs)
    if (run.sink && run.sink.address() == gone) run.sink = nullptr;
  auto it = std::find_if(st.pending.begin(), st.pending.end(),
                         [&](const auto& entry) { return entry.first.address() == gone; });
  if (it == st.pending.end()) return;
  auto out = std::move(it->second);
  st.pending.erase(it);
  for (auto& r : *out.batch.mutable_results())
    to_sink(self, result_sink_actor{}, out.notify, std::move(r));
}

// The coordinator that placed work here is gone (its Dispatcher, and with it
// its Runs): what it would have taken waits for the next one, and so do the
// results sent to it too recently to be sure it stored them.
void placer_down(Self self, const caf::actor_addr& gone) {
  auto& st = self->state;
  for (auto& [run_id, run] : st.runs)
    if (run.placer && run.placer.address() == gone) run.sink = nullptr, run.placer = nullptr;
  for (auto it = st.pending.begin(); it != st.pending.end();) {
    if (it->first.address() != gone && it->second.notify.address() != gone) {
      ++it;
      continue;
    }
    for (auto& r : *it->second.batch.mutable_results()) st.undelivered.push_back(std::move(r));
    it = st.pending.erase(it);
  }
  size_t again = 0;
  for (auto it = st.recently_sent.begin(); it != st.recently_sent.end();) {
    if (it->placer != gone) {
      ++it;
      continue;
    }
    again += it->batch.results_size();
    st.recently_sent_results -= it->batch.results_size();
    for (auto& r : *it->batch.mutable_results()) st.undelivered.push_back(std::move(r));
    it = st.recently_sent.erase(it);
  }
  if (again > 0)
    logger("agents")->info(
        "{} results sent in the last {} s are offered again: they may have "
        "died with the coordinator",
        again, std::chrono::seconds{kResultKeepWindow}.count());
  logger("agents")->warn("the coordinator is gone; {} agents run on, {} results wait for it",
                         st.running, st.undelivered.size());
}

void down(Self self, const caf::actor_addr& gone) {
  auto& st = self->state;
  if (st.watched_sinks.erase(gone)) run_sink_down(self, gone);
  if (st.watched_placers.erase(gone)) placer_down(self, gone);
}

// A coordinator asks what runs here: it takes every run's results from now on.
v1::AgentReport report_to(Self self, const placer_actor& placer) {
  auto& st = self->state;
  watch(self, st.watched_placers, placer.address());
  v1::AgentReport report;
  traced(report);
  report.set_node_id(st.identity.node_id);
  report.set_incarnation(st.identity.incarnation);
  for (auto& [run_id, run] : st.runs) {
    run.sink = nullptr;
    run.placer = placer;
    for (const auto& [key, running] : run.agents) {
      auto* ref = report.add_running();
      ref->set_run_id(run_id);
      ref->set_story_id(key.first);
      ref->set_attempt(key.second);
    }
  }
  // Kept like sent results: a coordinator killed right after it read the
  // report has stored none of them, and the next one must be offered them.
  for (auto& r : st.undelivered) *report.add_undelivered() = std::move(r);
  st.undelivered.clear();
  if (report.undelivered_size() > 0) {
    v1::ResultBatch reported;
    *reported.mutable_results() = report.undelivered();
    keep_sent(st, placer.address(), std::move(reported));
  }
  if (report.running_size() + report.undelivered_size() > 0)
    logger("agents")->info("reported {} running agents and {} results to the coordinator",
                           report.running_size(), report.undelivered_size());
  return report;
}

// The context the agents of a batch share: the last one made, if it fits.
AttemptContextPtr context_for(Self self, AttemptContextPtr& last, const std::string& run_id,
                              const std::string& traceparent) {
  if (!last || last->run_id != run_id || last->traceparent != traceparent)
    last = caf::make_counted<AttemptContext>(self->state.identity, run_id, traceparent);
  return last;
}

v1::SpawnReply spawn_all(Self self, const v1::SpawnBatch& batch, const ResultRoutes& routes,
                         const placer_actor& placer) {
  auto& st = self->state;
  watch(self, st.watched_placers, placer.address());
  for (const auto& sink : routes.sinks) watch(self, st.watched_sinks, sink.address());
  v1::SpawnReply reply;
  reply.set_node_id(st.identity.node_id);
  reply.set_incarnation(st.identity.incarnation);
  reply.set_batch_id(batch.batch_id());
  traced(reply, batch.trace().traceparent());
  uint64_t received = 0;  // read once per batch, and only if an attempt is sampled
  AttemptContextPtr context;
  const std::string* routed = nullptr;
  result_sink_actor routed_sink;
  auto now = AgentHostState::Clock::now();
  for (const auto& request : batch.requests()) {
    auto* d = reply.add_decisions();
    d->set_run_id(request.run_id());
    d->set_story_id(request.story().id());
    d->set_attempt(request.attempt());
    auto run = st.runs.find(request.run_id());
    std::pair<std::string, uint32_t> key{request.story().id(), request.attempt()};
    if (run != st.runs.end() && run->second.agents.count(key)) {
      d->set_accepted(true);  // a duplicate request: the running attempt answers it
      continue;
    }
    if (st.cancelled_runs.count(request.run_id())) {
      d->set_refusal("run cancelled");  // a batch that was in flight at the cancel
      continue;
    }
    if (st.draining) {
      d->set_refusal("node is draining");
      d->set_retry_elsewhere(true);
      continue;
    }
    if (st.running >= st.max_agents) {
      d->set_refusal("agent limit " + std::to_string(st.max_agents) + " reached");
      continue;
    }
    d->set_accepted(true);
    if (run == st.runs.end()) run = st.runs.try_emplace(request.run_id()).first;
    // The batch says where the run's results go now (its Run may have been
    // replaced since the last one).
    if (!routed || *routed != request.run_id()) {
      routed = &request.run_id();
      routed_sink = routes.find(request.run_id());
    }
    run->second.sink = routed_sink;
    run->second.placer = placer;
    // A sampled attempt (the coordinator's mark): `spawn` covers its acceptance
    // here; the agent's `run` span is its child.
    const std::string* traceparent = &request.trace().traceparent();
    std::optional<ActiveSpan> span;
    if (sampled(*traceparent)) {
      if (received == 0) received = unix_nanos_now();
      span.emplace("spawn", *traceparent, received);
      span->attr("run.id", request.run_id())
          .attr("story.id", request.story().id())
          .attr("attempt", request.attempt());
      traceparent = &span->traceparent();
    }
    AgentHostState::Running running;
    running.timer = st.timers.none();
    running.spawned_ms = st.host_ms(now);
    auto extras = [&running]() -> AgentHostState::Running::Extras& {
      if (!running.extras) running.extras = std::make_unique<AgentHostState::Running::Extras>();
      return *running.extras;
    };
    if (auto kind = agent_kind(request.story(), st.identity.use_real); kind != AgentKind::mock)
      extras().kind = kind;
    std::optional<MockPlan> mock;  // none: an exec attempt
    if (runs_commands(request.story(), st.identity.use_real)) {
      auto copy = std::make_shared<v1::SpawnRequest>(request);
      copy->mutable_trace()->set_traceparent(*traceparent);
      CancelToken cancel;
      start_exec_attempt(std::move(copy), attempt_host_actor{self}, st.identity, cancel);
      extras().cancel = cancel;
    } else {
      mock = plan_mock(request);
      running.ending = mock->ending;
      running.context = context_for(self, context, request.run_id(), *traceparent);
      if (auto run_span = mock_run_span(*running.context, key.first, key.second))
        extras().run_span = std::move(run_span);
    }
    if (span) extras().spawn_span = span->finish();
    auto entry = run->second.agents.emplace(std::move(key), std::move(running)).first;
    auto& placed = entry->second;
    if (mock) {
      // Its agent names it by its id, so the entry is made first.
      placed.id = st.ids.add(&*entry);
      bool at_once = !mock->crash && mock->duration.count() == 0;
      placed.agent = spawn_mock_agent(
          self, MockAgentStart{attempt_host_actor{self}, placed.id, mock->crash, at_once});
      if (!mock->crash && !at_once) placed.timer = st.timers.add(now + mock->duration, &placed);
    }
    if (st.observer) st.observer->started(attempt_of(run->first, entry->first, placed));
    ++st.running;
    if (st.metrics) st.metrics->started();
  }
  arm(self);
  return reply;
}

// Work comes from this node or from the coordinator it joined; a refusal is
// logged with the sender's node, never its message.
bool from_coordinator(Self self, const char* what) {
  const auto& sender = self->current_sender();
  if (sender && (sender->node() == self->node() || sender->node() == self->state.coordinator))
    return true;
  logger("agents")->warn("refused {} from {}: not the coordinator this node joined", what,
                         sender ? caf::to_string(sender->node()) : std::string{"nobody"});
  return false;
}

// A mock agent's id means something to its host only: nobody else names one.
bool from_this_node(Self self) {
  const auto& sender = self->current_sender();
  return sender && sender->node() == self->node();
}

caf::error not_from_coordinator(Self self) {
  return make_error(Errc::protocol_error, "node " + self->state.identity.node_id +
                                              " takes work from the coordinator it joined only");
}

agent_host_impl::behavior_type agent_host(Self self, AgentHostOptions options) {
  self->state.identity = std::move(options.identity);
  self->state.metrics = std::move(options.metrics);
  self->state.observer = std::move(options.observer);
  if (self->state.observer) self->state.observer->hosting(self->address(), self->state.identity);
  guard_against_peers(self, logger("agents"));

  self->state.max_agents = options.max_agents;
  self->set_down_handler([=](caf::down_msg& dm) { down(self, dm.source); });
  return {
      [=](coordinator_atom, const caf::node_id& coordinator) {
        self->state.coordinator = coordinator;
      },
      [=](const Proto<v1::SpawnBatch>& batch,
          const ResultRoutes& routes) -> caf::result<Proto<v1::SpawnReply>> {
        if (!from_coordinator(self, "spawn requests")) return not_from_coordinator(self);
        auto placer = caf::actor_cast<placer_actor>(self->current_sender());
        return proto(spawn_all(self, batch.value, routes, placer));
      },
      [=](const Proto<v1::StoryResult>& result) { collect(self, result.value); },
      [=](const Proto<v1::CancelRequest>& cancel) {
        if (from_coordinator(self, "a cancel")) cancel_matching(self, cancel.value);
      },
      [=](flush_atom) {
        self->state.flush_scheduled = false;
        flush(self);
      },
      [=](crashed_atom, Proto<v1::StoryResult>& crashed, const caf::error& reason) {
        crashed_attempt(self, std::move(crashed.value), reason);
      },
      [=](ended_atom, MockAgentId id, bool cancelled) {
        if (from_this_node(self)) mock_ended(self, id, cancelled);
      },
      [=](crashed_atom, MockAgentId id, const caf::error& reason) {
        if (from_this_node(self)) mock_crashed(self, id, reason);
      },
      [=](wake_atom, int64_t armed_for) { wake(self, armed_for); },
      [=](fence_atom, const std::string& why) { fence(self, why); },
      [=](running_atom) { return static_cast<uint32_t>(self->state.running); },
      [=](adopt_atom) -> caf::result<Proto<v1::AgentReport>> {
        if (!from_coordinator(self, "an adoption")) return not_from_coordinator(self);
        return proto(report_to(self, caf::actor_cast<placer_actor>(self->current_sender())));
      },
      [=](drain_atom) { return drain(self); },
      [=](drain_now_atom) {
        // The node goes before its agents finished: they are lost with it, as
        // with a killed node (placed again elsewhere, not counted against
        // their story), not cancelled by their user.
        fence(self, "node " + self->state.identity.node_id +
                        " stopped before its agents finished (a second SIGTERM, or its "
                        "drain deadline)");
        return drain(self);
      },
  };
}

}  // namespace

agent_host_actor spawn_agent_host(caf::actor_system& system, AgentHostOptions options) {
  return system.spawn(agent_host, std::move(options));
}

}  // namespace rad
