// The Supervisor's protocol (actors/supervisor.h): the coordinator's owner of
// runs, asked by the HTTP routes, told by its Runs and the Checkpoint actor.
#pragma once

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <string>

#include "protocol/checkpoint.h"
#include "protocol/run.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"
#include "runtime/proto_bridge.h"

namespace rad {

// A plan submitted: (plan, traceparent or "", idempotency key or "").
using submit_atom = caf::atom_constant<caf::atom("submit")>;
// The runs it holds, newest first.
using list_atom = caf::atom_constant<caf::atom("list")>;
// A run's actor killed as a crash would (for chaos and tests).
using kill_run_atom = caf::atom_constant<caf::atom("killrun")>;

using supervisor_actor = caf::typed_actor<
    // The run, or the plan's problems (`refused`); errors: invalid_input (a
    // bad key), in_use (the key made a run of another plan), unavailable (the
    // store cannot be written). Answered once the run is in the store.
    caf::replies_to<submit_atom, Proto<v1::Plan>, std::string,
                    std::string>::with<Proto<v1::SubmitReply>>,
    // (run id, with its stories); not_found when unknown here and in the store.
    caf::replies_to<status_atom, std::string, bool>::with<Proto<v1::RunStatus>>,
    // (run id); answered once the cancel is in the checkpoint.
    caf::replies_to<cancel_run_atom, std::string>::with<Proto<v1::RunStatus>>,
    caf::replies_to<kill_run_atom, std::string>::with<bool>,
    caf::replies_to<list_atom>::with<Proto<v1::RunList>>,
    // What the Checkpoint actor told last: (writable, why not).
    caf::replies_to<store_state_atom>::with<bool, std::string>,
    // From the Checkpoint actor (a store_watcher_actor).
    caf::reacts_to<store_state_atom, bool, std::string>,
    // From one of its Runs: over, with its final status (with its stories
    // unless final_stories_in_store, actors/run_views.h).
    caf::reacts_to<run_done_atom, Proto<v1::RunStatus>>>;

}  // namespace rad
