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
// Messages:
//   (submit_atom, Proto<Plan>[, traceparent[, idempotency key]])
//                                       -> Proto<SubmitReply> | error: the run, or the
//                                          plan's problems (`refused`: validated here,
//                                          once per submission). Errors: invalid_input:
//                                          a bad key; in_use: the key made a run of
//                                          another plan; unavailable: the checkpoint
//                                          store cannot be written); answered once the
//                                          run is in the store. `existing`: the key had
//                                          made this run before. The run's trace
//                                          continues `traceparent` (the API's submit span)
//   (store_state_atom)                  -> (bool writable, std::string message): what
//                                          the Checkpoint actor told last (for readiness:
//                                          the Checkpoint actor itself may be busy
//                                          compacting)
//   (status_atom, run id, with_stories) -> Proto<RunStatus> | error (not_found); runs
//                                          it does not hold are looked up in the store
//   (cancel_atom, run id)               -> Proto<RunStatus> | error (not_found), once
//                                          the cancel is in the checkpoint: from then
//                                          on no story of the run ends but CANCELLED
//   (list_atom)                         -> Proto<RunList>: summaries, newest first
//
// The HTTP routes read runs from SupervisorOptions::views instead, when set:
// the Supervisor adds each run it holds there, its final status when it ends,
// and takes it out when it forgets it; the Run actors publish in between.
//   (kill_run_atom, run id)             -> bool: kills the Run actor as a crash would
//                                          (for chaos and tests)
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/stateful_actor.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "actors/checkpoint.h"
#include "actors/node_views.h"
#include "actors/run.h"
#include "actors/run_views.h"
#include "rad/v1/run.pb.h"
#include "runtime/plan_validation.h"

namespace spdlog {
class logger;
}

namespace rad {

using submit_atom = caf::atom_constant<caf::atom("submit")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using kill_run_atom = caf::atom_constant<caf::atom("killrun")>;

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

struct SupervisorState {
  struct Entry {
    caf::actor actor;                 // while it runs
    std::shared_ptr<RunState> state;  // while it runs: a restarted actor goes on from it
    std::deque<std::chrono::steady_clock::time_point> restarts;  // within the window
    std::optional<v1::RunStatus> final;                          // once it is over
    uint64_t seq = 0;                                            // submission order
    std::string plan_name;
    bool from_store = false;       // ended before this process: its stories are in the store
    std::string key, plan_sha256;  // its idempotency key and plan digest, if made here with one
  };
  SupervisorOptions options;
  caf::actor dispatcher, checkpoint;
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

// `checkpoint`: the Checkpoint actor runs write through; null, nothing is stored.
caf::behavior supervisor(caf::stateful_actor<SupervisorState>* self, SupervisorOptions options,
                         caf::actor dispatcher, caf::actor checkpoint);

}  // namespace rad
