#include "actors/agent_host.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "runtime/chaos_metrics.h"
#include "runtime/link_faults.h"
#include "runtime/logging.h"
#include "runtime/peer_guard.h"
#include "runtime/proto_bridge.h"
#include "runtime/span.h"
#include "runtime/trace.h"

namespace rad {
namespace {

using Self = caf::stateful_actor<AgentHostState>*;
using SpawnKey = std::tuple<std::string, std::string, uint32_t>;

// Sends a batch of results, signed by this node and in the trace of its first.
void send_results(Self self, const caf::actor& sink, v1::ResultBatch batch) {
  batch.set_node_id(self->state.identity.node_id);
  batch.set_incarnation(self->state.identity.incarnation);
  traced(batch, batch.results_size() > 0 ? batch.results(0).trace().traceparent() : "");
  link_send(self, sink, proto(std::move(batch)));
}

void flush(Self self) {
  auto& st = self->state;
  for (auto& [sink, batch] : st.pending) send_results(self, sink, std::move(batch));
  st.pending.clear();
}

// Once draining and idle, every result is sent and the waiters are told.
void answer_drained(Self self) {
  auto& st = self->state;
  if (!st.draining || !st.running.empty()) return;
  flush(self);
  for (auto& promise : st.drained) promise.deliver(true);
  st.drained.clear();
}

caf::result<bool> drain(Self self) {
  auto& st = self->state;
  st.draining = true;
  if (st.running.empty()) {
    flush(self);
    return true;
  }
  st.drained.push_back(self->make_response_promise<bool>());
  return st.drained.back();
}

void collect(Self self, v1::StoryResult result) {
  auto& st = self->state;
  auto it = st.running.find({result.run_id(), result.story_id(), result.attempt()});
  if (it == st.running.end()) return;  // this attempt has reported already
  if (st.metrics)
    st.metrics->ended(it->second.kind, result.outcome(),
                      std::chrono::steady_clock::now() - it->second.started);
  // With the agent's own `run` span: the coordinator keeps them for radctl trace.
  if (it->second.spawn_span) result.mutable_spans()->Add(std::move(*it->second.spawn_span));
  st.running.erase(it);
  auto sink = st.sinks.find(result.run_id());
  // The run's last agent here: its sink is no longer needed (a new spawn sets it again).
  auto next = st.running.lower_bound({result.run_id(), "", 0});
  bool last_of_run = next == st.running.end() || std::get<0>(next->first) != result.run_id();
  if (sink == st.sinks.end()) {
    st.undelivered.push_back(std::move(result));
  } else {
    auto& batch = st.pending[sink->second];
    *batch.add_results() = std::move(result);
    if (batch.results_size() >= kMaxResultsPerBatch) {
      send_results(self, sink->second, std::move(batch));
      st.pending.erase(sink->second);
    } else if (!st.flush_scheduled) {
      st.flush_scheduled = true;
      self->delayed_send(self, kResultFlushInterval, flush_atom::value);
    }
    if (last_of_run) st.sinks.erase(sink);
  }
  answer_drained(self);
}

void cancel_one(Self self, const AgentHostState::Running& running) {
  if (running.cancel) running.cancel->cancel();
  self->send(running.agent, cancel_atom::value);
}

void cancel_matching(Self self, const v1::CancelRequest& c) {
  for (const auto& [key, running] : self->state.running) {
    bool story_matches = c.story_ids().empty() ||
                         std::find(c.story_ids().begin(), c.story_ids().end(), std::get<1>(key)) !=
                             c.story_ids().end();
    if (std::get<0>(key) == c.run_id() && story_matches) cancel_one(self, running);
  }
}

// An agent that stops abnormally crashed before its result: it tells the host
// as it goes (a functor, not a monitor: agents that end well cost nothing).
void report_crash(Self self, const caf::actor& agent, SpawnRequestPtr request) {
  agent->attach_functor([host = caf::actor{self}, request](const caf::error& reason) {
    if (reason) caf::anon_send(host, crashed_atom::value, proto(*request), reason);
  });
}

void watch_sink(Self self, const caf::actor& sink) {
  if (self->state.watched_sinks.insert(sink.address()).second) self->monitor(sink);
}

// The coordinator that sank our results is gone: what it would have taken
// waits for the next one.
void sink_down(Self self, const caf::actor_addr& gone) {
  auto& st = self->state;
  if (!st.watched_sinks.erase(gone)) return;
  for (auto it = st.sinks.begin(); it != st.sinks.end();)
    it = it->second.address() == gone ? st.sinks.erase(it) : std::next(it);
  for (auto it = st.pending.begin(); it != st.pending.end();) {
    if (it->first.address() != gone) {
      ++it;
      continue;
    }
    for (auto& r : *it->second.mutable_results()) st.undelivered.push_back(std::move(r));
    it = st.pending.erase(it);
  }
  logger("agents")->warn("the coordinator is gone; {} agents run on, {} results wait for it",
                         st.running.size(), st.undelivered.size());
}

// Chaos: the chosen agents die as a crash would kill them, and their attempts
// end FAILED at once (an exec agent's command is stopped through its token).
uint32_t kill_agents(Self self, double fraction, uint64_t seed) {
  auto& st = self->state;
  std::vector<SpawnKey> keys;
  for (auto& [key, r] : st.running) keys.push_back(key);
  if (keys.empty() || fraction <= 0) return 0;
  std::mt19937_64 random{seed};
  std::shuffle(keys.begin(), keys.end(), random);
  auto count = std::min(keys.size(), static_cast<size_t>(std::ceil(fraction * keys.size())));
  for (size_t i = 0; i < count; ++i) {
    const auto& [run_id, story_id, attempt] = keys[i];
    auto& r = st.running.at(keys[i]);
    if (r.cancel) r.cancel->cancel();
    caf::anon_send_exit(r.agent, caf::exit_reason::kill);
    v1::SpawnRequest request;
    request.set_run_id(run_id);
    request.mutable_story()->set_id(story_id);
    request.set_attempt(attempt);
    auto result = result_of(request, st.identity, v1::OUTCOME_FAILED);
    result.set_error("agent killed by chaos");
    collect(self, std::move(result));
  }
  chaos_tally().agents_killed += count;
  logger("agents")->warn("chaos killed {} of {} running agents", count, keys.size());
  return static_cast<uint32_t>(count);
}

// A coordinator asks what runs here: it takes every run's results from now on.
v1::AgentReport report_to(Self self, const caf::actor& sink) {
  auto& st = self->state;
  watch_sink(self, sink);
  v1::AgentReport report;
  traced(report);
  report.set_node_id(st.identity.node_id);
  report.set_incarnation(st.identity.incarnation);
  for (const auto& [key, running] : st.running) {
    auto* ref = report.add_running();
    ref->set_run_id(std::get<0>(key));
    ref->set_story_id(std::get<1>(key));
    ref->set_attempt(std::get<2>(key));
    st.sinks[std::get<0>(key)] = sink;
  }
  for (auto& r : st.undelivered) *report.add_undelivered() = std::move(r);
  st.undelivered.clear();
  if (report.running_size() + report.undelivered_size() > 0)
    logger("agents")->info("reported {} running agents and {} results to the coordinator",
                           report.running_size(), report.undelivered_size());
  return report;
}

v1::SpawnReply spawn_all(Self self, const v1::SpawnBatch& batch, const caf::actor& sink) {
  auto& st = self->state;
  watch_sink(self, sink);
  v1::SpawnReply reply;
  reply.set_node_id(st.identity.node_id);
  reply.set_incarnation(st.identity.incarnation);
  reply.set_batch_id(batch.batch_id());
  traced(reply, batch.trace().traceparent());
  uint64_t received = 0;  // read once per batch, and only if an attempt is sampled
  for (const auto& request : batch.requests()) {
    auto* d = reply.add_decisions();
    d->set_run_id(request.run_id());
    d->set_story_id(request.story().id());
    d->set_attempt(request.attempt());
    auto key = std::make_tuple(request.run_id(), request.story().id(), request.attempt());
    if (st.running.count(key)) {
      d->set_accepted(true);  // a duplicate request: the running attempt answers it
      continue;
    }
    if (st.draining) {
      d->set_refusal("node is draining");
      d->set_retry_elsewhere(true);
      continue;
    }
    if (st.running.size() >= st.max_agents) {
      d->set_refusal("agent limit " + std::to_string(st.max_agents) + " reached");
      continue;
    }
    d->set_accepted(true);
    st.sinks[request.run_id()] = sink;
    auto copy = std::make_shared<v1::SpawnRequest>(request);
    // A sampled attempt (the coordinator's mark): `spawn` covers its acceptance
    // here; the agent's `run` span is its child.
    std::optional<ActiveSpan> span;
    if (sampled(request.trace().traceparent())) {
      if (received == 0) received = unix_nanos_now();
      span.emplace("spawn", request.trace().traceparent(), received);
      span->attr("run.id", request.run_id())
          .attr("story.id", request.story().id())
          .attr("attempt", request.attempt());
      copy->mutable_trace()->set_traceparent(span->traceparent());
    }
    SpawnRequestPtr shared = std::move(copy);
    AgentHostState::Running running;
    running.kind = agent_kind(request.story(), st.identity.use_real);
    running.started = std::chrono::steady_clock::now();
    if (auto driver = blocking_driver_for(request.story(), st.identity.use_real)) {
      CancelToken cancel;
      running.agent =
          self->spawn<caf::detached>(blocking_agent, shared, caf::actor{self}, st.identity, cancel,
                                     std::shared_ptr<BlockingDriver>{std::move(driver)});
      running.cancel = cancel;
    } else {
      running.agent = self->spawn(agent, shared, caf::actor{self}, st.identity);
    }
    report_crash(self, running.agent, shared);
    if (span) running.spawn_span = span->finish();
    st.running.emplace(std::move(key), std::move(running));
    if (st.metrics) st.metrics->started();
  }
  return reply;
}

}  // namespace

caf::behavior agent_host(caf::stateful_actor<AgentHostState>* self, AgentContext identity,
                         uint32_t max_agents, std::shared_ptr<AgentMetrics> metrics) {
  self->state.identity = std::move(identity);
  self->state.metrics = std::move(metrics);
  guard_against_peers(self, logger("agents"));

  self->state.max_agents = max_agents;
  self->set_down_handler([=](caf::down_msg& dm) { sink_down(self, dm.source); });
  return {
      [=](const Proto<v1::SpawnBatch>& batch) {
        auto sink = caf::actor_cast<caf::actor>(self->current_sender());
        return proto(spawn_all(self, batch.value, sink));
      },
      [=](const Proto<v1::StoryResult>& result) { collect(self, result.value); },
      [=](const Proto<v1::CancelRequest>& cancel) { cancel_matching(self, cancel.value); },
      [=](cancel_atom, const Proto<v1::CancelRequest>& cancel) {
        cancel_matching(self, cancel.value);
      },
      [=](flush_atom) {
        self->state.flush_scheduled = false;
        flush(self);
      },
      [=](crashed_atom, const Proto<v1::SpawnRequest>& crashed, const caf::error& reason) {
        const auto* request = &crashed.value;
        auto& st = self->state;
        auto why = self->system().render(reason);
        logger("agents")->warn("agent of story {} attempt {} of run {} crashed: {}",
                               request->story().id(), request->attempt(), request->run_id(), why);
        auto r = result_of(*request, st.identity, v1::OUTCOME_FAILED);
        r.set_error("agent crashed: " + why);
        collect(self, std::move(r));
      },
      [=](chaos_kill_atom, double fraction, uint64_t seed) {
        return kill_agents(self, fraction, seed);
      },
      [=](running_atom) { return static_cast<uint32_t>(self->state.running.size()); },
      [=](adopt_atom) {
        return proto(report_to(self, caf::actor_cast<caf::actor>(self->current_sender())));
      },
      [=](drain_atom) { return drain(self); },
      [=](cancel_atom) {
        for (const auto& entry : self->state.running) cancel_one(self, entry.second);
        return drain(self);
      },
  };
}

}  // namespace rad
