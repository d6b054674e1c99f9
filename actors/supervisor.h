// Supervisor (coordinator): owns runs. It validates a submitted plan, starts
// one Run actor per run and watches it; a finished run's status is kept for
// status queries. A Run that crashes fails its own run with the reason and
// touches no other run. (Restarting it by policy needs its state from the
// checkpoint store, issue [4].)
//
// Messages:
//   (submit_atom, Proto<Plan>)          -> std::string run id | error (invalid_input:
//                                          every problem of the plan)
//   (status_atom, run id, with_stories) -> Proto<RunStatus> | error (not_found)
//   (cancel_atom, run id)               -> Proto<RunStatus> | error (not_found)
//   (list_atom)                         -> Proto<RunList>: summaries, newest first
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "actors/run.h"
#include "rad/v1/run.pb.h"
#include "runtime/plan_validation.h"

namespace spdlog {
class logger;
}

namespace rad {

using submit_atom = caf::atom_constant<caf::atom("submit")>;
using list_atom = caf::atom_constant<caf::atom("list")>;

struct SupervisorOptions {
  RunOptions run;
  PlanLimits limits;
  // Finished runs whose status is kept; the oldest are forgotten first.
  size_t max_finished_runs = 1000;
};

struct SupervisorState {
  struct Entry {
    caf::actor actor;                    // while it runs
    std::optional<v1::RunStatus> final;  // once it is over
    uint64_t seq = 0;                    // submission order
    std::string plan_name;
  };
  SupervisorOptions options;
  caf::actor dispatcher;
  std::map<std::string, Entry> runs;
  std::map<uint64_t, std::string> finished_order;  // seq -> run id, oldest first
  uint64_t next_seq = 1;
  std::mt19937_64 rng{std::random_device{}()};
  std::shared_ptr<spdlog::logger> log;
  static inline const char* name = "rad.supervisor";
};

caf::behavior supervisor(caf::stateful_actor<SupervisorState>* self, SupervisorOptions options,
                         caf::actor dispatcher);

}  // namespace rad
