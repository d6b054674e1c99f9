// Run (coordinator): drives one run of a plan through its RunState. It places
// ready stories through the Dispatcher (place_atom, many to a message),
// applies each result, schedules retries after their backoff, and reports to
// the Supervisor when the run is over; then it stops.
// Its messages are protocol/run.h.
//
// It publishes its status to RunViews (actors/run_views.h), when given one:
// snapshots taken at most every 50 ms and whenever the run's state changes,
// each published once the writes sent before it are acknowledged (the same
// guarantee as a status answer). That is what the HTTP routes answer from.
// To the Supervisor, once: (run_done_atom, Proto<RunStatus>) with stories; it
// stops when the Supervisor answers (run_done_atom).
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <memory>

#include "actors/run_state.h"
#include "protocol/checkpoint.h"
#include "protocol/dispatcher.h"
#include "protocol/run.h"
#include "protocol/supervisor.h"

namespace rad {

class RunViews;

enum class RunStart {
  fresh,
  // A previous Run actor of this run crashed: this one first takes over its
  // open requests at the Dispatcher.
  restarted,
  // The coordinator restarted: the attempts the checkpoint has as placed go to
  // the Dispatcher for adoption first.
  resumed,
};

// Whom a Run works with, and where it publishes.
struct RunPeers {
  placement_actor dispatcher;
  supervisor_actor supervisor;
  // Null: nothing is checkpointed (and acts need not wait).
  checkpoint_actor checkpoint;
  // Null: nowhere.
  std::shared_ptr<RunViews> views;
};

// A Run actor for `run` (the Supervisor made it; from then on only this
// actor touches it).
run_actor spawn_run(caf::actor_system& system, std::shared_ptr<RunState> run, RunPeers peers,
                    RunStart start);

}  // namespace rad
