// The Run actor's protocol (actors/run.h): one run of a plan, driven by its
// Supervisor, fed results by the nodes that ran its attempts and asked by the
// HTTP routes.
#pragma once

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <string>

#include "protocol/atoms.h"
#include "rad/v1/run.pb.h"
#include "runtime/proto_bridge.h"

namespace rad {

// The run's id, once its plan and summary are in the checkpoint.
using durable_atom = caf::atom_constant<caf::atom("durable")>;
// A run is cancelled: no story of it ends but CANCELLED from then on.
using cancel_run_atom = caf::atom_constant<caf::atom("cancelrun")>;
// A run is over: its Run tells its Supervisor with its final status, and the
// Supervisor answers it so that it stops.
using run_done_atom = caf::atom_constant<caf::atom("rundone")>;

using run_actor = caf::typed_actor<
    // As of now (with its stories or not), answered once what it shows is in
    // the checkpoint.
    caf::replies_to<status_atom, bool>::with<Proto<v1::RunStatus>>,
    caf::replies_to<durable_atom>::with<std::string>,
    // (reason): stops placing, cancels what runs; answered once the cancel is
    // in the checkpoint.
    caf::replies_to<cancel_run_atom, std::string>::with<Proto<v1::RunStatus>>,
    // Results of its attempts: from the AgentHosts that ran them, or from
    // the Dispatcher (results it made up, and those that had no Run to go to).
    caf::reacts_to<Proto<v1::ResultBatch>>,
    // From the Supervisor, once it has the final status: stop.
    caf::reacts_to<run_done_atom>>;

}  // namespace rad
