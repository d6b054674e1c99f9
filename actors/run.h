// Run (coordinator): drives one run of a plan through its RunState. It places
// ready stories through the Dispatcher (place_atom, many to a message),
// applies each result, schedules retries after their backoff, and reports to
// the Supervisor when the run is over; then it stops.
//
// Messages:
//   (status_atom, bool with_stories) -> Proto<RunStatus>, as of now, answered once
//                                       what it shows is in the checkpoint
//   durable_atom                     -> std::string run id, once the run's plan
//                                       and summary are in the checkpoint
//   (cancel_atom, std::string reason) -> Proto<RunStatus>: stops placing, cancels
//                                       what runs; answered once the cancel is
//                                       in the checkpoint
//   Proto<ResultBatch>                : results, from the Dispatcher
// It publishes its status to RunViews (actors/run_views.h), when given one:
// snapshots taken at most every 50 ms and whenever the run's state changes,
// each published once the writes sent before it are acknowledged (the same
// guarantee as a status answer). That is what the HTTP routes answer from.
// To the Supervisor, once: (run_done_atom, Proto<RunStatus>) with stories; it
// stops when the Supervisor answers (run_done_atom).
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "actors/run_state.h"
#include "runtime/proto_bridge.h"

namespace rad {

using status_atom = caf::atom_constant<caf::atom("status")>;
using run_done_atom = caf::atom_constant<caf::atom("rundone")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using retry_write_atom = caf::atom_constant<caf::atom("retrywrite")>;
using durable_atom = caf::atom_constant<caf::atom("durable")>;
using view_due_atom = caf::atom_constant<caf::atom("viewdue")>;

class RunViews;

struct RunActorState {
  std::shared_ptr<RunState> run;
  caf::actor dispatcher, supervisor;
  // Null: nothing is checkpointed (and acts need not wait).
  caf::actor checkpoint;
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

// The error for a run id nobody knows.
caf::error unknown_run(const std::string& run_id);

enum class RunStart {
  fresh,
  // A previous Run actor of this run crashed: this one first takes over its
  // open requests at the Dispatcher.
  restarted,
  // The coordinator restarted: the attempts the checkpoint has as placed go to
  // the Dispatcher for adoption first.
  resumed,
};

caf::behavior run_actor(caf::stateful_actor<RunActorState>* self, std::shared_ptr<RunState> run,
                        caf::actor dispatcher, caf::actor supervisor, caf::actor checkpoint,
                        RunStart start, std::shared_ptr<RunViews> views);

}  // namespace rad
