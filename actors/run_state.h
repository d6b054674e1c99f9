// The story state machine of one run, as pure logic: which stories may be
// placed now, what a result does, when a wave and the run are over. Time and
// randomness are passed in; nothing is sent. The Run actor does the messaging.
//
//   RunState run{"r1", plan, options};
//   for (auto& request : run.take_ready(now)) ...      // place them
//   auto effect = run.on_result(result, now);          // maybe retry later
//   if (effect.retry_in) ... run.retry_due(story);     // after the backoff
//   run.finished(), run.status()
//
// Invariants: a story reaches exactly one terminal state (SUCCEEDED, DEAD or
// CANCELLED) once; a result of any attempt but the current one is ignored.
//
// Not every result is an attempt that ran (actors/retry_semantics.h):
//   - a refusal (OUTCOME_UNSPECIFIED: no node took the request) spends no
//     attempt and is no failure: the story is PENDING again, placed after
//     refused_retry, with "waiting: <why>" as its last error;
//   - a lost attempt (OUTCOME_NODE_LOST) spends no attempt either: the story
//     is placed again at once, unless it is `idempotent: false`, which then
//     ends DEAD (its attempt may have had its effects);
//   - any other outcome but success is a failed attempt: FAILED, then
//     PENDING after its backoff, up to max_attempts, then DEAD.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/run_metrics.h"
#include "protocol/placement.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"

namespace rad {

// SUCCEEDED, DEAD or CANCELLED: a story in one of them is over for good.
bool is_terminal(v1::StoryState state);

struct RunOptions {
  // Attempts lost with their node do not count against max_attempts, up to
  // this many per story.
  uint32_t max_node_losses = 5;
  // Delay before placing a request again that every node refused.
  std::chrono::milliseconds refused_retry{200};
  // Timeout of an attempt whose story sets none (agents.timeout_ms).
  std::chrono::milliseconds default_timeout{300000};
  // Keep a StoryTransition for every change of a story's state, for the
  // checkpoint store (take_transitions()).
  bool record_transitions = false;
  // W3C traceparent of the run; each attempt gets a child span. Empty: a new trace.
  std::string traceparent;
  // Where the run's stories are counted by state; none: not counted.
  std::shared_ptr<RunMetrics> metrics;
  // The idempotency key the run was submitted with (none: empty key), shown
  // in its summary. With the plan's digest too (a fresh run), the Run actor
  // stores the key with the run's first records; a resumed run's is stored.
  v1::IdempotencyKey idempotency;
};

class RunState {
 public:
  using Clock = std::chrono::system_clock;

  RunState(std::string run_id, v1::Plan plan, RunOptions options = {});
  // Its stories leave the metrics with it; a copy would count them twice.
  ~RunState();
  RunState(const RunState&) = delete;
  RunState& operator=(const RunState&) = delete;

  const std::string& run_id() const { return run_id_; }
  const v1::Plan& plan() const { return *plan_; }
  // The plan, shared read-only with whoever needs it for as long as the run
  // (its first checkpoint write, the attempts placed: protocol/placement.h).
  const std::shared_ptr<const v1::Plan>& shared_plan() const { return plan_; }
  // Of an attempt whose story sets no timeout.
  std::chrono::milliseconds default_timeout() const { return options_.default_timeout; }
  // The run's W3C traceparent: its spans are children of it.
  const std::string& traceparent() const { return options_.traceparent; }
  // The submitter's idempotency key, if any (RunOptions::idempotency).
  const v1::IdempotencyKey& idempotency() const { return options_.idempotency; }

  // Stories of the current wave that may start now (dependencies succeeded,
  // within max_concurrent), at most `max`, as their next attempt (in
  // shared_plan()); they are SCHEDULED from here on.
  std::vector<PlacedAttempt> take_ready(Clock::time_point now,
                                        size_t max = std::numeric_limits<size_t>::max());

  struct Effect {
    // The story is to be placed again after this delay (call retry_due()).
    std::optional<std::chrono::milliseconds> retry_in;
    size_t story = 0;
    // Whether the result changed anything (false for stale and duplicate ones).
    bool applied = false;
  };
  // `unit_random` in [0, 1) picks the backoff jitter.
  Effect on_result(const v1::StoryResult& result, Clock::time_point now, double unit_random);

  // A story's backoff is over: it may be placed again.
  void retry_due(size_t story);

  // Rebuilds the run from its checkpointed transitions (in seq order) after
  // the coordinator restarted: ended stories stay ended; an attempt that was
  // placed stays placed (take_adoptable()), one waiting for its backoff goes
  // back to pending at once. Returns the stories that had ended.
  size_t restore(const std::vector<v1::StoryTransition>& transitions, Clock::time_point now);

  // The attempts restore() found placed, as their spawn requests (once): the
  // Dispatcher adopts them from the nodes that still run them, or places them
  // again. Their results are applied like any other.
  std::vector<v1::SpawnRequest> take_adoptable();

  // After the actor driving this run crashed: placed stories whose requests
  // are no longer open (their results went to the dead actor) get a new
  // attempt, as if their node was lost. Returns how many.
  size_t adopt(const std::vector<std::string>& still_open, Clock::time_point now);

  // Cancels the run: stories not yet placed are CANCELLED at once; placed ones
  // are when their agents report, whatever they report (a success after the
  // cancel too: a cancelled run has no story succeed after it). True when
  // nothing is placed any more.
  bool cancel(const std::string& reason, Clock::time_point now);
  bool cancelling() const { return cancelling_; }

  // Gives the run up: it FAILED with `reason`, and every story not yet
  // terminal is CANCELLED. For a run whose actor cannot go on.
  void abandon(const std::string& reason, Clock::time_point now);

  size_t story_count() const { return stories_.size(); }
  // Stories placed and not yet reported.
  size_t in_flight() const { return in_flight_; }
  bool finished() const { return state_ != v1::RUN_STATE_RUNNING; }
  v1::RunState state() const { return state_; }

  // Counts per run and wave; per story when `with_stories`.
  v1::RunStatus status(bool with_stories) const;

  // The transitions since the last call, in order (with record_transitions),
  // without their run id: the run's records carry it once.
  std::vector<v1::StoryTransition> take_transitions();
  // The stories that ended since the last call, by index, each once (with
  // record_transitions): whose final state goes with the transitions.
  std::vector<uint32_t> take_ended();
  // A story's state now, by its index; index_of() is stories' size when unknown.
  v1::StoryStatus story_status(size_t story) const;
  size_t index_of(const std::string& story_id) const;

 private:
  // Kept small (72 bytes): a run may hold a million (issue [8]). What few
  // stories have (an error, a node's name, dependents) is kept beside.
  struct Story {
    const v1::Story* spec = nullptr;
    Clock::time_point started_at{}, finished_at{};  // the epoch: not yet
    int wave = 0;
    v1::StoryState state = v1::STORY_STATE_PENDING;
    // The last transition of this story recorded (or restored): what a
    // restarted coordinator would find.
    v1::StoryState recorded_state = v1::STORY_STATE_PENDING;
    uint32_t recorded_attempt = 0;
    uint32_t attempt = 0;  // the current (last placed) attempt
    uint32_t failed = 0;   // attempts that failed
    uint32_t lost = 0;     // attempts lost with their node
    uint32_t unmet = 0;    // dependencies not yet succeeded
    uint32_t node = 0;     // where it last ran, in nodes_; 0: nowhere yet
    // Its dependents: dependents_[first_dependent, first_dependent + dependents).
    uint32_t first_dependent = 0, dependents = 0;
    bool waiting_retry = false;  // in backoff, or waiting after a refusal
    // A refusal of this story is among the transitions already: the next
    // ones, until an attempt of it is placed, are not recorded again.
    bool refusal_recorded = false;
  };
  static_assert(sizeof(Story) <= 72, "a story's state stays small: a run may hold a million");
  struct Wave {
    size_t first = 0, end = 0;  // story index range
    size_t active = 0;          // scheduled or running
    size_t terminal = 0;
    bool any_dead = false;
    std::deque<size_t> ready;  // pending with every dependency met
  };

  v1::SpawnRequest request_of(size_t story) const;
  // index_of(), trying the story after the last one found first.
  size_t find_story(const std::string& story_id);
  const std::string& error_of(size_t story) const;
  void set_error(size_t story, std::string error);
  const std::string& node_of(size_t story) const { return nodes_[stories_[story].node]; }
  void set_node(size_t story, const std::string& node_id);
  // Moves story `i` to `to`, counted in the metrics; a transition is recorded
  // too unless `record` is false (the store needs no new one).
  void set_state(size_t i, v1::StoryState to, Clock::time_point now, const std::string& reason,
                 bool record = true);
  void finish_story(size_t i, v1::StoryState state, const std::string& error,
                    Clock::time_point now);
  void start_wave(int w, Clock::time_point now);
  void advance(Clock::time_point now);
  void count(v1::StoryCounts& counts, v1::StoryState s) const;

  std::string run_id_;
  std::shared_ptr<const v1::Plan> plan_;
  RunOptions options_;
  std::vector<Story> stories_;
  std::vector<Wave> waves_;
  // Story id (in plan_) -> index.
  std::unordered_map<std::string_view, uint32_t> index_;
  std::vector<uint32_t> dependents_;
  size_t next_guess_ = 0;  // find_story()'s first try
  // Each story's last error, for those with one.
  std::unordered_map<uint32_t, std::string> errors_;
  // Node ids stories ran on, interned: nodes_[0] is none.
  std::vector<std::string> nodes_{std::string{}};
  std::unordered_map<std::string, uint32_t> node_index_;
  int current_wave_ = -1;
  size_t in_flight_ = 0;
  size_t terminal_ = 0;
  uint64_t seq_ = 0;
  std::vector<v1::StoryTransition> transitions_;
  std::vector<uint32_t> ended_;    // take_ended()
  std::vector<size_t> adoptable_;  // stories restore() found placed
  bool cancelling_ = false;
  v1::RunState state_ = v1::RUN_STATE_RUNNING;
  std::string error_;
  google::protobuf::Timestamp started_at_, finished_at_;
};

}  // namespace rad
