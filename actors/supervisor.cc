#include "actors/supervisor.h"

#include <spdlog/logger.h>

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <deque>
#include <map>
#include <optional>
#include <random>

#include "actors/plan_digest.h"
#include "actors/run.h"
#include "runtime/clock.h"
#include "runtime/error.h"
#include "runtime/idempotency_key.h"
#include "runtime/logging.h"
#include "runtime/peer_guard.h"
#include "runtime/proto_bridge.h"
#include "runtime/span.h"
#include "runtime/trace.h"
#include "runtime/tracer.h"

namespace rad {
namespace {

struct SupervisorState {
  struct Entry {
    run_actor actor;                  // while it runs
    std::shared_ptr<RunState> state;  // while it runs: a restarted actor goes on from it
    std::deque<std::chrono::steady_clock::time_point> restarts;  // within the window
    std::optional<v1::RunStatus> final;                          // once it is over
    uint64_t seq = 0;                                            // submission order
    std::string plan_name;
    bool from_store = false;  // ended before this process: its stories are in the store
    // Over, and its stories are read from the store (final_stories_in_store).
    bool stories_in_store = false;
    std::string key, plan_sha256;  // its idempotency key and plan digest, if made here with one
  };
  SupervisorOptions options;
  placement_actor dispatcher;
  checkpoint_actor checkpoint;
  // The checkpoint store as the Checkpoint actor last told it.
  bool store_writable = true;
  std::string store_message = "no checkpoint store: runs are not stored";
  std::map<std::string, Entry> runs;
  std::map<uint64_t, std::string> finished_order;  // seq -> run id, oldest first
  // Idempotency key -> run id, of the runs in `runs` made here with a key:
  // one may not be stored yet, so the store alone cannot tell.
  std::map<std::string, std::string> keys;
  uint64_t next_seq = 1;
  std::mt19937_64 rng{std::random_device{}()};
  std::shared_ptr<spdlog::logger> log;
  static inline const char* name = "rad.supervisor";
};

using Self = supervisor_actor::stateful_pointer<SupervisorState>;

// How long a submitter is kept waiting for its run's first write: past the
// API's own wait (runs_api.cc), so that the API's timeout is the one told.
constexpr auto kStoredWait = std::chrono::seconds{60};

// "run-" and 11 hex digits (44 random bits): 15 characters, what a
// std::string holds without an allocation of its own. A run id is copied into
// every request, result, transition and key of its stories: at 16 characters
// each copy cost a heap allocation more.
std::string new_run_id(Self self) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (;;) {
    uint64_t bits = self->state.rng();
    std::string id = "run-";
    for (int i = 0; i < 11; ++i, bits >>= 4) id += kDigits[bits & 0xf];
    if (!self->state.runs.count(id)) return id;
  }
}

RunPeers peers_of_runs(Self self) {
  auto& st = self->state;
  return {st.dispatcher, caf::actor_cast<supervisor_actor>(self), st.checkpoint, st.options.views};
}

// `stored`: the store holds the run's final stories (its Run wrote them, or it
// ended before this process); those of a large run are then read from there.
void remember_final(Self self, const std::string& run_id, v1::RunStatus status, bool stored) {
  auto& st = self->state;
  auto it = st.runs.find(run_id);
  if (it == st.runs.end() || it->second.final) return;
  if (st.options.run.metrics && !it->second.from_store)
    st.options.run.metrics->run_ended(status.state());
  it->second.actor = nullptr;
  it->second.state.reset();
  bool in_store =
      it->second.from_store ||
      (stored && final_stories_in_store(status.counts().total(), static_cast<bool>(st.checkpoint)));
  if (in_store)
    for (auto& w : *status.mutable_waves()) w.clear_stories();
  it->second.stories_in_store = in_store;
  if (st.options.views) st.options.views->publish_final(run_id, status, in_store);
  it->second.final = std::move(status);
  st.finished_order.emplace(it->second.seq, run_id);
  while (st.finished_order.size() > st.options.max_finished_runs) {
    // Its key, if any, is in the store with it (it ended: it was written).
    auto forgotten = st.runs.find(st.finished_order.begin()->second);
    if (forgotten != st.runs.end() && !forgotten->second.key.empty())
      st.keys.erase(forgotten->second.key);
    if (st.options.views) st.options.views->forget(st.finished_order.begin()->second);
    st.runs.erase(st.finished_order.begin()->second);
    st.finished_order.erase(st.finished_order.begin());
  }
}

Proto<v1::SubmitReply> submit_reply(const std::string& run_id, bool existing) {
  v1::SubmitReply reply;
  reply.set_run_id(run_id);
  reply.set_existing(existing);
  return proto(std::move(reply));
}

// Answers the run once it is in the checkpoint: a submitter never holds the
// id of a run a crash could lose.
caf::result<Proto<v1::SubmitReply>> answer_once_stored(Self self, const std::string& run_id,
                                                       bool existing) {
  auto it = self->state.runs.find(run_id);
  // Over, or known from the store only: stored.
  if (it == self->state.runs.end() || !it->second.actor) return submit_reply(run_id, existing);
  auto promise = self->make_response_promise<Proto<v1::SubmitReply>>();
  self->request(it->second.actor, kStoredWait, durable_atom::value)
      .then([=](const std::string& id) mutable { promise.deliver(submit_reply(id, existing)); },
            [=](caf::error& err) mutable { promise.deliver(std::move(err)); });
  return promise;
}

// The plan's problems, as the submitter is answered.
Proto<v1::SubmitReply> refusal(const v1::Plan& plan, const std::vector<PlanProblem>& problems) {
  v1::SubmitReply reply;
  auto* refused = reply.mutable_refused();
  refused->set_error(error_message(plan_error(plan, problems)));
  for (const auto& p : problems) {
    auto* problem = refused->add_problems();
    problem->set_path(p.path);
    problem->set_reason(p.reason);
  }
  return proto(std::move(reply));
}

// The run `key` made, if one did: among this process's runs (which may not be
// stored yet), else in the store.
caf::expected<std::optional<v1::IdempotencyKey>> run_of_key(Self self, const std::string& key) {
  auto& st = self->state;
  if (auto it = st.keys.find(key); it != st.keys.end()) {
    v1::IdempotencyKey made;
    made.set_key(key);
    made.set_run_id(it->second);
    made.set_plan_sha256(st.runs.at(it->second).plan_sha256);
    return made;
  }
  if (!st.options.find_key) return std::nullopt;
  auto stored = st.options.find_key(key);
  if (!stored && is(stored.error(), Errc::not_found)) return std::nullopt;
  if (!stored) return stored.error();
  return std::move(*stored);
}

// `plan` is moved into the run: a plan of a million stories is ~250 MB.
caf::result<Proto<v1::SubmitReply>> submit(Self self, v1::Plan& plan, std::string traceparent,
                                           const std::string& key) {
  auto& st = self->state;
  std::string digest;
  if (!key.empty()) {
    if (auto err = check_idempotency_key(key, "the idempotency key")) return err;
    digest = plan_sha256(plan);
    auto made = run_of_key(self, key);
    if (!made) return made.error();
    // Even while the store cannot be written: the key's run exists already,
    // at most its answer waits for the store.
    if (*made) {
      const auto& run_id = (*made)->run_id();
      if ((*made)->plan_sha256() != digest)
        return make_error(Errc::in_use, "idempotency key '" + key + "' already made run " + run_id +
                                            " of another plan; submit this plan under a new key");
      st.log->info("run {}: submitted again under its idempotency key; not started again", run_id);
      return answer_once_stored(self, run_id, true);
    }
  }
  // Nothing is admitted that could not be made durable.
  if (!st.store_writable) return make_error(Errc::unavailable, st.store_message);
  if (!valid_traceparent(traceparent)) traceparent = new_traceparent(spans_enabled());
  {
    ActiveSpan span{"validate", traceparent};
    auto problems = validate_plan(plan, st.options.limits);
    span.attr("problems", static_cast<int64_t>(problems.size()));
    span.finish();
    if (!problems.empty()) return refusal(plan, problems);
  }
  auto run_id = new_run_id(self);
  auto options = st.options.run;
  // The run's spans are children of the submitter's (the API's submit span).
  options.traceparent = std::move(traceparent);
  options.record_transitions = static_cast<bool>(st.checkpoint);
  if (!key.empty()) {
    options.idempotency.set_key(key);
    options.idempotency.set_run_id(run_id);
    options.idempotency.set_plan_sha256(digest);
    st.keys[key] = run_id;
  }
  auto& entry = st.runs[run_id];
  entry.seq = st.next_seq++;
  entry.plan_name = plan.name();
  entry.key = key;
  entry.plan_sha256 = std::move(digest);
  int stories = 0;
  for (const auto& w : plan.waves()) stories += w.stories_size();
  int waves = plan.waves_size();
  entry.state = std::make_shared<RunState>(run_id, std::move(plan), options);
  if (st.options.views) st.options.views->add(run_id, entry.seq, entry.plan_name);
  entry.actor = spawn_run(self->system(), entry.state, peers_of_runs(self), RunStart::fresh);
  self->monitor(entry.actor);
  if (st.options.run.metrics) st.options.run.metrics->run_started();
  st.log->info("run {} of plan '{}' started: {} waves, {} stories", run_id, entry.plan_name, waves,
               stories);
  return answer_once_stored(self, run_id, false);
}

supervisor_actor::behavior_type supervisor(Self self, SupervisorOptions options,
                                           placement_actor dispatcher,
                                           checkpoint_actor checkpoint) {
  auto& st = self->state;
  st.options = std::move(options);
  st.dispatcher = std::move(dispatcher);
  st.checkpoint = std::move(checkpoint);
  st.log = logger("supervisor");
  guard_against_peers(self, st.log);
  if (st.checkpoint) {
    st.store_message = "checkpoint store: its state is not known yet";
    self->send(st.checkpoint, watch_store_atom::value, caf::actor_cast<store_watcher_actor>(self));
  }
  if (st.options.node_views)
    st.options.node_views->store.set(Verdict{st.store_writable, st.store_message});

  // Oldest first, as if they had ended here.
  std::sort(st.options.finished.begin(), st.options.finished.end(),
            [](const v1::RunStatus& a, const v1::RunStatus& b) {
              return std::make_pair(a.finished_at().seconds(), a.finished_at().nanos()) <
                     std::make_pair(b.finished_at().seconds(), b.finished_at().nanos());
            });
  for (auto& status : st.options.finished) {
    auto run_id = status.run_id();
    auto& entry = st.runs[run_id];
    entry.seq = st.next_seq++;
    entry.plan_name = status.plan_name();
    entry.from_store = true;
    if (st.options.views) st.options.views->add(run_id, entry.seq, entry.plan_name, true);
    remember_final(self, run_id, std::move(status), true);
  }
  st.options.finished.clear();
  for (auto& state : st.options.resume) {
    auto run_id = state->run_id();
    auto& entry = st.runs[run_id];
    entry.seq = st.next_seq++;
    entry.plan_name = state->plan().name();
    entry.state = std::move(state);
    if (st.options.views) st.options.views->add(run_id, entry.seq, entry.plan_name);
    entry.actor = spawn_run(self->system(), entry.state, peers_of_runs(self), RunStart::resumed);
    self->monitor(entry.actor);
    if (st.options.run.metrics) st.options.run.metrics->run_started();
  }
  st.options.resume.clear();

  // A stopping Supervisor takes its Run actors with it. They are not linked
  // (a crashed one is restarted), and one that waits on a Checkpoint actor
  // already gone would retry its write every second and keep the node from
  // ever stopping.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (auto& [run_id, entry] : self->state.runs)
      if (entry.actor) self->send_exit(entry.actor, msg.reason);
    self->quit(msg.reason);
  });

  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    for (auto& [run_id, entry] : st.runs) {
      if (!entry.actor || entry.actor.address() != dm.source) continue;
      if (entry.final || !dm.reason) return;  // it ended after reporting
      auto why = self->system().render(dm.reason);
      auto now = std::chrono::steady_clock::now();
      while (!entry.restarts.empty() && now - entry.restarts.front() > st.options.restart_window)
        entry.restarts.pop_front();
      if (entry.restarts.size() < st.options.max_restarts) {
        entry.restarts.push_back(now);
        st.log->warn(
            "run {}: run actor crashed ({}); restarted ({} of {} within {} s)", run_id, why,
            entry.restarts.size(), st.options.max_restarts,
            std::chrono::duration_cast<std::chrono::seconds>(st.options.restart_window).count());
        entry.actor =
            spawn_run(self->system(), entry.state, peers_of_runs(self), RunStart::restarted);
        self->monitor(entry.actor);
        return;
      }
      // Beyond the restart intensity: this run fails, no other is touched.
      auto reason = "run actor crashed " + std::to_string(entry.restarts.size() + 1) +
                    " times within the restart window; last: " + why;
      st.log->error("run {}: {}", run_id, reason);
      entry.state->abandon(reason, RunState::Clock::now());
      v1::CancelRequest cancel;  // its agents stop: nobody would take their results
      cancel.set_run_id(run_id);
      cancel.set_reason(reason);
      caf::anon_send(st.dispatcher, proto(std::move(cancel)));
      std::string id = run_id;
      // Abandoned: no Run writes its end, so its stories stay here.
      remember_final(self, id, entry.state->status(true), false);
      return;
    }
  });

  return {
      [=](submit_atom, Proto<v1::Plan>& plan, const std::string& traceparent,
          const std::string& key) { return submit(self, plan.value, traceparent, key); },
      [=](status_atom, const std::string& run_id,
          bool with_stories) -> caf::result<Proto<v1::RunStatus>> {
        auto& st = self->state;
        auto it = st.runs.find(run_id);
        // Runs this process did not see end, or forgot: the store may know them.
        bool in_store = it == st.runs.end() || (it->second.stories_in_store && with_stories);
        if (in_store && st.checkpoint)
          return self->delegate(st.checkpoint, status_atom::value, run_id, with_stories);
        if (it == st.runs.end()) return unknown_run(run_id);
        if (it->second.final) {
          auto status = *it->second.final;
          if (!with_stories)
            for (auto& w : *status.mutable_waves()) w.clear_stories();
          return proto(std::move(status));
        }
        return self->delegate(it->second.actor, status_atom::value, with_stories);
      },
      [=](cancel_run_atom, const std::string& run_id) -> caf::result<Proto<v1::RunStatus>> {
        auto it = self->state.runs.find(run_id);
        if (it == self->state.runs.end()) return unknown_run(run_id);
        if (it->second.final) return proto(*it->second.final);
        self->state.log->info("run {}: cancel requested", run_id);
        // The Run answers once the cancel is in the checkpoint.
        return self->delegate(it->second.actor, cancel_run_atom::value,
                              std::string{"cancelled by request"});
      },
      [=](kill_run_atom, const std::string& run_id) {
        auto it = self->state.runs.find(run_id);
        if (it == self->state.runs.end() || !it->second.actor) return false;
        self->send_exit(it->second.actor, caf::exit_reason::kill);
        return true;
      },
      [=](list_atom) {
        auto& st = self->state;
        std::vector<std::pair<uint64_t, const std::string*>> order;
        for (const auto& [id, e] : st.runs) order.emplace_back(e.seq, &id);
        std::sort(order.rbegin(), order.rend());
        Proto<v1::RunList> list;
        for (const auto& [seq, id] : order) {
          const auto& e = st.runs.at(*id);
          auto* s = list.value.add_runs();
          if (e.final) {
            *s = *e.final;
            for (auto& w : *s->mutable_waves()) w.clear_stories();
          } else {
            s->set_run_id(*id);
            s->set_plan_name(e.plan_name);
            s->set_state(v1::RUN_STATE_RUNNING);
          }
        }
        return list;
      },
      [=](store_state_atom, bool writable, const std::string& message) {
        self->state.store_writable = writable;
        self->state.store_message = message;
        if (self->state.options.node_views)
          self->state.options.node_views->store.set(Verdict{writable, message});
      },
      [=](store_state_atom) -> caf::result<bool, std::string> {
        return {self->state.store_writable, self->state.store_message};
      },
      [=](run_done_atom, Proto<v1::RunStatus>& status) {
        auto& s = status.value;
        auto state = v1::RunState_Name(s.state());
        self->state.log->info("run {} {}: {} succeeded, {} dead, {} cancelled{}{}", s.run_id(),
                              state.substr(state.rfind('_') + 1), s.counts().succeeded(),
                              s.counts().dead(), s.counts().cancelled(),
                              s.error().empty() ? "" : "; ", s.error());
        auto run_id = s.run_id();
        remember_final(self, run_id, std::move(s), true);
        self->send(caf::actor_cast<run_actor>(self->current_sender()), run_done_atom::value);
      },
  };
}

}  // namespace

supervisor_actor spawn_supervisor(caf::actor_system& system, SupervisorOptions options,
                                  placement_actor dispatcher, checkpoint_actor checkpoint) {
  return system.spawn(supervisor, std::move(options), std::move(dispatcher), std::move(checkpoint));
}

}  // namespace rad
