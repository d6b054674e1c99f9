// Supervisor (coordinator): owns runs. It validates a submitted plan, starts
// one Run actor per run and watches it; a finished run's status is kept for
// status queries. A Run actor that crashes is restarted one-for-one on the
// run's state, which the Supervisor holds, at most max_restarts times within
// restart_window; beyond that its run fails with the reason. No other run is
// touched.
//
// It stops admitting work while its checkpoint store cannot be written (the
// Checkpoint actor tells it each change): a submission is then refused with
// why, and runs already going keep their records until the store takes them.
//
// A submission may carry an idempotency key (runtime/idempotency_key.h): the
// first makes a run and stores the key with it, in the run's first write;
// every later one with that key and the same plan is answered with that run,
// found among this process's runs or, after a restart, in the store; with
// another plan it is refused. So no key ever makes two runs.
//
// Its messages are protocol/supervisor.h.
//
// The HTTP routes read runs from SupervisorOptions::views instead, when set:
// the Supervisor adds each run it holds there, its final status when it ends,
// and takes it out when it forgets it; the Run actors publish in between.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/node_views.h"
#include "actors/run_state.h"
#include "actors/run_views.h"
#include "protocol/checkpoint.h"
#include "protocol/dispatcher.h"
#include "protocol/supervisor.h"
#include "rad/v1/run.pb.h"
#include "runtime/plan_validation.h"

namespace spdlog {
class logger;
}

namespace rad {

struct SupervisorOptions {
  RunOptions run;
  PlanLimits limits;
  // Finished runs whose status is kept; the oldest are forgotten first.
  size_t max_finished_runs = 1000;
  // Runs restored from the checkpoint store after a restart: they go on.
  std::vector<std::shared_ptr<RunState>> resume;
  // Summaries of runs that had ended, from the checkpoint store: listed, and
  // their stories read from the store when asked.
  std::vector<v1::RunStatus> finished;
  // The run an idempotency key made, as the checkpoint store has it
  // (Errc::not_found: none). Empty: only the runs this process made are asked
  // (no store).
  std::function<caf::expected<v1::IdempotencyKey>(const std::string& key)> find_key;
  // Where runs are published for the HTTP routes (actors/run_views.h); null:
  // nowhere, the routes ask the Supervisor.
  std::shared_ptr<RunViews> views;
  // Where the store's state (store_state_atom) is published for /health; null: nowhere.
  std::shared_ptr<NodeViews> node_views;
  // Restarts of one run's actor allowed within restart_window.
  size_t max_restarts = 3;
  std::chrono::milliseconds restart_window{60000};
};

// `checkpoint`: the Checkpoint actor runs write through; null, nothing is stored.
supervisor_actor spawn_supervisor(caf::actor_system& system, SupervisorOptions options,
                                  placement_actor dispatcher, checkpoint_actor checkpoint);

}  // namespace rad
