#include "actors/run.h"

#include <algorithm>
#include <caf/response_type.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <functional>
#include <random>
#include <vector>

#include "actors/dispatcher.h"
#include "actors/run_views.h"
#include "protocol/checkpoint.h"
#include "runtime/enum_word.h"
#include "runtime/error.h"
#include "runtime/logging.h"
#include "runtime/peer_guard.h"
#include "runtime/proto_bridge.h"
#include "runtime/span.h"
#include "runtime/trace.h"
#include "runtime/tracer.h"

namespace rad {
namespace {

using retry_atom = caf::atom_constant<caf::atom("retry")>;
using retry_write_atom = caf::atom_constant<caf::atom("retrywrite")>;
using view_due_atom = caf::atom_constant<caf::atom("viewdue")>;

// The protocol and what a Run sends itself: a story's backoff is over, a
// refused write is due again, a view is due.
using run_impl = run_actor::extend<caf::reacts_to<retry_atom, uint64_t>,
                                   caf::reacts_to<retry_write_atom>, caf::reacts_to<view_due_atom>>;

struct RunActorState {
  std::shared_ptr<RunState> run;
  placement_actor dispatcher;
  supervisor_actor supervisor;
  // Null: nothing is checkpointed (and acts need not wait).
  checkpoint_actor checkpoint;
  bool reported = false;
  bool summary_written = false;
  // Writes sent and acknowledged, and status answers waiting for the writes
  // sent before them: what a status shows is durable.
  uint64_t writes_sent = 0, writes_done = 0;
  struct PendingStatus {
    uint64_t after_write;
    caf::typed_response_promise<Proto<v1::RunStatus>> promise;
    Proto<v1::RunStatus> status;
  };
  std::vector<PendingStatus> pending_status;
  // The last write failed (a full disk): status answers do not wait then.
  bool store_failing = false;
  // Who waits for the first write (plan and summary) to be durable.
  std::vector<caf::typed_response_promise<std::string>> awaiting_durable;
  // Checkpoint writes not yet acknowledged, and acts waiting for them.
  int persisting = 0;
  std::vector<std::function<void()>> after_persist;
  // Writes the store refused, sent again a second later.
  struct FailedWrite {
    caf::message records;
    std::function<void()> then;
  };
  std::vector<FailedWrite> failed_writes;
  std::mt19937_64 rng{std::random_device{}()};
  // Records in writes not yet acknowledged, and whether a step took no ready
  // stories because of them (kMaxRecordsUnacked).
  size_t records_unacked = 0;
  bool held_back = false;
  // Attempts placed with spans of their own, out of trace.story_spans_per_run.
  uint32_t traced_attempts = 0;
  // Published views (actors/run_views.h): snapshots waiting for the writes
  // sent before them, when the next ones are due, and what they cost.
  std::shared_ptr<RunViews> views;
  struct PendingView {
    uint64_t after_write;
    std::shared_ptr<const v1::RunStatus> summary, stories;
  };
  std::vector<PendingView> pending_views;
  std::chrono::steady_clock::time_point summary_due{}, stories_due{};
  bool view_timer = false;
  v1::RunState viewed_state = v1::RUN_STATE_UNSPECIFIED;
  static inline const char* name = "rad.run";
};

using Self = run_impl::stateful_pointer<RunActorState>;

// How long a cancel's answer waits for the Dispatcher to have told the nodes.
constexpr auto kCancelToldWait = std::chrono::seconds{30};

// The records of the transitions since the last call: the events, the
// stories' new states, and the run's summary when it is over or new.
v1::CheckpointRecords records_of(Self self) {
  auto& st = self->state;
  v1::CheckpointRecords records;
  records.set_run_id(st.run->run_id());
  records.mutable_trace()->set_traceparent(st.run->traceparent());
  // Events carry every step; a story's materialized state is written when it
  // ends (recovery replays the events of stories still open).
  auto transitions = st.run->take_transitions();
  records.mutable_transitions()->Reserve(static_cast<int>(transitions.size()));
  for (auto& t : transitions) *records.add_transitions() = std::move(t);
  auto ended = st.run->take_ended();
  records.mutable_stories()->Reserve(static_cast<int>(ended.size()));
  for (uint32_t i : ended) *records.add_stories() = st.run->story_status(i);
  if (!st.summary_written) {
    // The key goes in the write that first stores the run, never before it
    // (it would name a run a crash could lose) nor after (a retry in between
    // would make a second run).
    const auto& key = st.run->idempotency();
    if (!key.key().empty() && !key.plan_sha256().empty()) *records.mutable_idempotency_key() = key;
  }
  // A cancel is durable with the summary: its error marks a run still
  // RUNNING as cancelling (actors/node.cc resumes it so).
  if (!st.summary_written || st.run->finished() || st.run->cancelling()) {
    *records.mutable_run() = st.run->status(false);
    st.summary_written = true;
  }
  return records;
}

void finish_if_over(Self self);
void settle_and_go_on(Self self, std::function<void()> durable = {});

// Stories are placed only while the records not yet durable are fewer than
// this: each placed story comes back as records (its result, its end) within
// milliseconds when it is short, and a store slower than the nodes would
// otherwise hold the run's whole wave in writes waiting (~1 KB a story at a
// million stories). The run goes at the store's pace instead.
constexpr size_t kMaxRecordsUnacked = 50000;

// Snapshots at most this often; and a snapshot may take at most 1/kViewShare
// of the actor's time, so that a run of a million stories pays the same share.
constexpr auto kSummaryEvery = std::chrono::milliseconds{50};
constexpr auto kStoriesEvery = std::chrono::seconds{1};
constexpr int kViewShare = 20;

// Builds one snapshot and says when the next one may be taken.
std::shared_ptr<const v1::RunStatus> snapshot(const RunState& run, bool with_stories,
                                              std::chrono::steady_clock::duration every,
                                              std::chrono::steady_clock::time_point& due) {
  auto start = std::chrono::steady_clock::now();
  auto status = std::make_shared<const v1::RunStatus>(run.status(with_stories));
  auto end = std::chrono::steady_clock::now();
  due = end + std::max(every, kViewShare * (end - start));
  return status;
}

// Snapshots whose writes are all acknowledged go to the views, in order.
void publish_durable_views(Self self) {
  auto& st = self->state;
  auto& pending = st.pending_views;
  size_t n = 0;
  for (; n < pending.size() && pending[n].after_write <= st.writes_done; ++n)
    st.views->publish(st.run->run_id(), std::move(pending[n].summary),
                      std::move(pending[n].stories));
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
}

// Takes a snapshot of the run as it is now, when one is due (at once when the
// run's state changed, else at most every kSummaryEvery; a timer takes the
// last one of a burst). It is published once the writes sent so far, which
// hold every change it shows, are acknowledged.
void take_view(Self self) {
  auto& st = self->state;
  if (!st.views) return;
  auto now = std::chrono::steady_clock::now();
  bool changed = st.run->state() != st.viewed_state;
  if (!changed && now < st.summary_due) {
    if (!st.view_timer) {
      st.view_timer = true;
      self->delayed_send(self, st.summary_due - now, view_due_atom::value);
    }
    return;
  }
  st.viewed_state = st.run->state();
  const auto& id = st.run->run_id();
  std::shared_ptr<const v1::RunStatus> stories, summary;
  if (st.run->story_count() <= kEagerStories) {
    stories = snapshot(*st.run, true, kSummaryEvery, st.summary_due);
  } else if ((changed || now >= st.stories_due) && st.views->stories_wanted(id)) {
    stories = snapshot(*st.run, true, kStoriesEvery, st.stories_due);
    st.summary_due = std::chrono::steady_clock::now() + kSummaryEvery;
  }
  if (stories)
    summary = std::make_shared<const v1::RunStatus>(without_stories(*stories));
  else
    summary = snapshot(*st.run, false, kSummaryEvery, st.summary_due);
  st.pending_views.push_back({st.writes_sent, std::move(summary), std::move(stories)});
  publish_durable_views(self);
}

// A run exists for its submitter once the store has its plan: its first write.
void answer_submitters(Self self) {
  auto& st = self->state;
  for (auto& p : st.awaiting_durable) p.deliver(st.run->run_id());
  st.awaiting_durable.clear();
}

// Status answers whose writes are all acknowledged now go out.
void answer_durable_status(Self self) {
  auto& waiting = self->state.pending_status;
  auto done = self->state.writes_done;
  auto ready = std::stable_partition(waiting.begin(), waiting.end(),
                                     [done](const auto& p) { return p.after_write > done; });
  for (auto it = ready; it != waiting.end(); ++it) it->promise.deliver(std::move(it->status));
  waiting.erase(ready, waiting.end());
}

// Sends one write to the Checkpoint actor; `then` runs once it is durable. A
// write the store refuses (a full disk) is kept and sent again a second
// later: nothing moves on until it is written. The write travels as the
// caf::message it was made into, kept for that retry without a copy; the
// compiler still checks it against the Checkpoint's protocol.
static_assert(std::is_same<caf::response_type_t<checkpoint_actor::signatures, checkpoint_atom,
                                                Proto<v1::CheckpointRecords>, SharedPlan>,
                           caf::detail::type_list<bool>>::value);
void write_records(Self self, caf::message records, std::function<void()> then) {
  self->request(caf::actor_cast<caf::actor>(self->state.checkpoint), caf::infinite, records)
      .then(
          [=](bool) {
            --self->state.persisting;
            ++self->state.writes_done;
            self->state.store_failing = false;
            // Views first: a submitter told its run is stored finds it published.
            if (self->state.views) publish_durable_views(self);
            answer_durable_status(self);
            answer_submitters(self);
            then();
            if (self->state.persisting == 0) {
              auto waiting = std::move(self->state.after_persist);
              self->state.after_persist.clear();
              for (auto& f : waiting) f();
            }
            take_view(self);
            finish_if_over(self);
          },
          [=](caf::error& err) {
            // The Checkpoint actor logs the store's state once per change.
            logger("checkpoint")
                ->debug("run {}: checkpoint failed ({}); retrying in 1 s",
                        self->state.run->run_id(), self->system().render(err));
            self->state.store_failing = true;
            self->state.failed_writes.push_back({records, then});
            self->delayed_send(self, std::chrono::seconds{1}, retry_write_atom::value);
          });
}

// Makes the transitions so far durable, then does `then`: nothing is acted on
// before the store has it. Without a Checkpoint actor, `then` runs at once.
void persist(Self self, std::function<void()> then) {
  auto& st = self->state;
  if (!st.checkpoint) {
    (void)st.run->take_transitions();
    (void)st.run->take_ended();
    then();
    return;
  }
  // The plan goes with the write that first stores the run.
  SharedPlan plan;
  if (!st.summary_written) plan.plan = st.run->shared_plan();
  auto records = records_of(self);
  if (records.transitions_size() == 0 && !records.has_run()) {
    // Nothing new: still after what is in flight, so acts keep their order.
    if (st.persisting == 0)
      then();
    else
      st.after_persist.push_back(std::move(then));
    return;
  }
  ++st.persisting;
  ++st.writes_sent;
  size_t count = static_cast<size_t>(records.transitions_size() + records.stories_size());
  st.records_unacked += count;
  then = [self, count, then = std::move(then)] {
    auto& st = self->state;
    st.records_unacked -= count;
    then();
    if (st.held_back && st.records_unacked < kMaxRecordsUnacked) {
      st.held_back = false;
      settle_and_go_on(self);
    }
  };
  write_records(
      self, caf::make_message(checkpoint_atom::value, proto(std::move(records)), std::move(plan)),
      std::move(then));
}

// One `schedule` span per hand-over (not per story: a 100k-story run would
// log 100k of them), the parent of its attempts. The first
// trace.story_spans_per_run attempts of the run have spans of their own, so
// that their nodes record spawn and run spans under it; the others are marked
// not sampled.
std::shared_ptr<ActiveSpan> schedule_span(Self self, Placement& placement) {
  auto& st = self->state;
  auto group = std::make_shared<PlacementGroup>();
  group->run_id = st.run->run_id();
  group->plan = st.run->shared_plan();
  group->default_timeout_ms = static_cast<uint64_t>(st.run->default_timeout().count());
  auto span = std::make_shared<ActiveSpan>("schedule", st.run->traceparent());
  if (!span->active()) {
    group->traceparent_own = group->traceparent_other = child_traceparent(st.run->traceparent());
    placement.group = std::move(group);
    return span;
  }
  auto trace_id = trace_id_of(span->traceparent());
  auto span_id = span_id_of(span->traceparent());
  group->traceparent_own = make_traceparent(trace_id, span_id, true);
  group->traceparent_other = make_traceparent(trace_id, span_id, false);
  placement.group = std::move(group);
  uint32_t budget = story_spans_per_run();
  int64_t traced = 0;
  for (auto& a : placement.attempts) {
    a.own_span = st.traced_attempts < budget;
    if (a.own_span) ++st.traced_attempts, ++traced;
  }
  span->attr("run.id", st.run->run_id())
      .attr("stories", static_cast<int64_t>(placement.attempts.size()))
      .attr("traced", traced);
  return span;
}

// Attempts of a cancelled run that were never handed to the Dispatcher: their
// stories end as if refused, which a cancelling run turns into CANCELLED.
void cancel_unplaced(Self self, const std::vector<PlacedAttempt>& attempts) {
  auto now = RunState::Clock::now();
  for (const auto& a : attempts) {
    v1::StoryResult r;
    r.set_run_id(self->state.run->run_id());
    r.set_story_id(a.story->id());
    r.set_attempt(a.attempt);
    r.set_outcome(v1::OUTCOME_UNSPECIFIED);
    r.set_error("run cancelled before it was placed");
    self->state.run->on_result(r, now, 0.5);
  }
  logger("supervisor")
      ->info("run {}: {} stories cancelled before they were placed", self->state.run->run_id(),
             attempts.size());
  settle_and_go_on(self);
}

// Hands attempts made ready (their SCHEDULED records durable) to the
// Dispatcher: one step's, one message (kMaxReadyPerStep).
void place(Self self, Placement ready, ActiveSpan& span) {
  // Cancelled while their SCHEDULED records were written: none of them is
  // placed (the Dispatcher's cancel went out before this hand-over, so it
  // would not stop them); each ends CANCELLED now.
  if (self->state.run->cancelling()) {
    cancel_unplaced(self, ready.attempts);
    span.finish();
    return;
  }
  self->send(self->state.dispatcher, place_atom::value, std::move(ready));
  span.finish();
}

// The attempts a resumed run's predecessor had placed, to the Dispatcher for
// adoption, at most kMaxRequestsPerMessage a message.
void hand_over(Self self, std::vector<v1::SpawnRequest> requests) {
  for (size_t i = 0; i < requests.size(); i += kMaxRequestsPerMessage) {
    Proto<v1::SpawnBatch> batch;
    auto end = std::min(requests.size(), i + kMaxRequestsPerMessage);
    batch.value.mutable_requests()->Reserve(static_cast<int>(end - i));
    for (size_t j = i; j < end; ++j) *batch.value.add_requests() = std::move(requests[j]);
    self->send(self->state.dispatcher, handover_atom::value, std::move(batch));
  }
}

// Reports the end of the run once, when it is durable. It stops when the
// Supervisor acknowledges: queries the Supervisor passed on before that are
// still answered.
void finish_if_over(Self self) {
  auto& st = self->state;
  if (st.reported || !st.run->finished() || st.run->in_flight() > 0 || st.persisting > 0) return;
  st.reported = true;
  // Stories the Supervisor would not keep are not built.
  bool in_store = final_stories_in_store(st.run->story_count(), static_cast<bool>(st.checkpoint));
  self->send(st.supervisor, run_done_atom::value, proto(st.run->status(!in_store)));
}

// After a state change, one step of the run: what became ready is taken now,
// so that one durable write holds both the change and the SCHEDULED records
// of what it made ready; once written, `durable` runs and the ready stories
// are placed.
//
// At most kMaxReadyPerStep stories are taken a step; the step that took as
// many takes the next ones once it has placed them. A wave of a million
// stories is then written and placed a slice at a time, rather than held
// whole as transitions, a write in progress and queued attempts at once.
// A step's attempts go to the Dispatcher as one message.
constexpr size_t kMaxReadyPerStep = kMaxRequestsPerMessage;
void settle_and_go_on(Self self, std::function<void()> durable) {
  auto& st = self->state;
  size_t max = kMaxReadyPerStep;
  if (st.records_unacked >= kMaxRecordsUnacked) {
    st.held_back = true;
    max = 0;
  }
  auto ready = std::make_shared<Placement>();
  ready->attempts = st.run->take_ready(RunState::Clock::now(), max);
  // Covers the write and the hand-over to the Dispatcher.
  std::shared_ptr<ActiveSpan> span;
  if (!ready->attempts.empty()) span = schedule_span(self, *ready);
  persist(self, [self, durable = std::move(durable), ready, span] {
    if (durable) durable();
    bool full = ready->attempts.size() == kMaxReadyPerStep;
    if (span) place(self, std::move(*ready), *span);
    if (full) settle_and_go_on(self);
    finish_if_over(self);
  });
}

// Spans of applying a batch of results: one `result` span for the batch, and
// one per result whose attempt was sampled (a child of its `run` span on the
// worker). They end once the results' records are durable.
std::function<void()> result_spans(Self self, const v1::ResultBatch& batch, size_t applied,
                                   uint64_t started) {
  auto& st = self->state;
  auto spans = std::make_shared<std::vector<ActiveSpan>>();
  spans->emplace_back("result", st.run->traceparent(), started);
  if (!spans->back().active()) return {};
  spans->back()
      .attr("run.id", st.run->run_id())
      .attr("results", batch.results_size())
      .attr("applied", static_cast<int64_t>(applied));
  for (const auto& r : batch.results()) {
    if (!sampled(r.trace().traceparent())) continue;
    keep_remote_spans(r.spans());
    spans->emplace_back("result", r.trace().traceparent(), started);
    spans->back()
        .attr("run.id", r.run_id())
        .attr("story.id", r.story_id())
        .attr("attempt", r.attempt())
        .attr("outcome", enum_rest(v1::Outcome_Name(r.outcome()), "OUTCOME_"));
  }
  return [spans] {
    for (auto& s : *spans) s.finish();
  };
}

run_impl::behavior_type run_behavior(Self self, std::shared_ptr<RunState> run, RunPeers peers,
                                     RunStart start) {
  auto& st = self->state;
  st.views = std::move(peers.views);
  // The Supervisor made the RunState; from here on only this actor touches it.
  st.run = std::move(run);
  st.dispatcher = std::move(peers.dispatcher);
  st.supervisor = std::move(peers.supervisor);
  st.checkpoint = std::move(peers.checkpoint);
  // Nodes send it their results straight: it is reachable by peers.
  guard_against_peers(self, logger("supervisor"));
  if (start == RunStart::resumed) {
    hand_over(self, st.run->take_adoptable());
  }
  if (start == RunStart::resumed && st.run->cancelling()) {
    // Cancelled before the restart: what the nodes still run of it stops.
    v1::CancelRequest cancel;
    cancel.set_run_id(st.run->run_id());
    cancel.set_reason(st.run->status(false).error());
    caf::anon_send(st.dispatcher, proto(std::move(cancel)));
  }
  if (start == RunStart::restarted) {
    self->request(st.dispatcher, std::chrono::seconds{30}, resink_atom::value, st.run->run_id())
        .then(
            [=](const std::vector<std::string>& open) {
              auto lost = self->state.run->adopt(open, RunState::Clock::now());
              logger("supervisor")
                  ->info(
                      "run {}: restarted actor took over {} open requests; {} results lost with "
                      "the old one get new attempts",
                      self->state.run->run_id(), open.size(), lost);
              settle_and_go_on(self);
            },
            [=](caf::error& err) { self->quit(std::move(err)); });
  } else {
    settle_and_go_on(self);
    // A restarted actor's first view waits for its first write: the state it
    // took over may hold changes its predecessor had not yet made durable.
    take_view(self);
  }
  return {
      [=](const Proto<v1::ResultBatch>& batch) {
        auto& st = self->state;
        auto started = unix_nanos_now();
        std::uniform_real_distribution<double> unit{0.0, 1.0};
        auto now = RunState::Clock::now();
        size_t applied = 0;
        for (const auto& result : batch.value.results()) {
          auto effect = st.run->on_result(result, now, unit(st.rng));
          if (effect.applied) ++applied;
          if (effect.retry_in)
            self->delayed_send(self, *effect.retry_in, retry_atom::value,
                               static_cast<uint64_t>(effect.story));
        }
        settle_and_go_on(self, result_spans(self, batch.value, applied, started));
        take_view(self);
      },
      [=](retry_atom, uint64_t story) {
        self->state.run->retry_due(static_cast<size_t>(story));
        settle_and_go_on(self);
        take_view(self);
      },
      [=](view_due_atom) {
        self->state.view_timer = false;
        take_view(self);
      },
      [=](retry_write_atom) {
        auto writes = std::move(self->state.failed_writes);
        self->state.failed_writes.clear();
        for (auto& w : writes) write_records(self, std::move(w.records), std::move(w.then));
      },
      [=](run_done_atom) { self->quit(); },
      [=](durable_atom) -> caf::result<std::string> {
        auto& st = self->state;
        if (st.writes_done > 0 || !st.checkpoint) return st.run->run_id();
        st.awaiting_durable.push_back(self->make_response_promise<std::string>());
        return st.awaiting_durable.back();
      },
      [=](status_atom, bool with_stories) -> caf::result<Proto<v1::RunStatus>> {
        auto& st = self->state;
        auto status = proto(st.run->status(with_stories));
        if (st.writes_done >= st.writes_sent) return status;
        if (st.store_failing) {
          // The store cannot take writes: show the run as it is, never as over.
          if (status.value.has_finished_at()) {
            status.value.clear_finished_at();
            status.value.set_state(v1::RUN_STATE_RUNNING);
          }
          return status;
        }
        auto promise = self->make_response_promise<Proto<v1::RunStatus>>();
        st.pending_status.push_back({st.writes_sent, promise, std::move(status)});
        return promise;
      },
      [=](cancel_run_atom, const std::string& reason) -> caf::result<Proto<v1::RunStatus>> {
        auto& st = self->state;
        st.run->cancel(reason, RunState::Clock::now());
        v1::CancelRequest cancel;
        cancel.set_run_id(st.run->run_id());
        cancel.set_reason(reason);
        // Answered once the cancel is durable (the summary marks it: from
        // then on no story of the run ends but CANCELLED, also after a
        // restart) and every node hosting agents was told (the Dispatcher
        // may be busy placing this very run): its agents stop from then on.
        auto promise = self->make_response_promise<Proto<v1::RunStatus>>();
        auto pending = std::make_shared<int>(2);
        auto one_done = [self, promise, pending]() mutable {
          if (--*pending == 0) promise.deliver(proto(self->state.run->status(false)));
        };
        self->request(st.dispatcher, kCancelToldWait, proto(std::move(cancel)))
            .then([one_done](bool) mutable { one_done(); },
                  [one_done](caf::error&) mutable { one_done(); });
        settle_and_go_on(self, one_done);
        take_view(self);
        return promise;
      },
  };
}

}  // namespace

run_actor spawn_run(caf::actor_system& system, std::shared_ptr<RunState> run, RunPeers peers,
                    RunStart start) {
  return system.spawn(run_behavior, std::move(run), std::move(peers), start);
}

}  // namespace rad
