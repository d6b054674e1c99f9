// The Checkpoint actor's protocol (actors/checkpoint.h): what its writers
// (Runs), its watcher (the Supervisor) and the HTTP routes may send it, and
// what each answer is. The compiler checks every send against it.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <memory>
#include <string>

#include "protocol/atoms.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"
#include "runtime/proto_bridge.h"

namespace rad {

// Records to make durable together.
using checkpoint_atom = caf::atom_constant<caf::atom("ckpt")>;
// Compaction of the store, now (true: a dry run that deletes nothing).
using compact_atom = caf::atom_constant<caf::atom("compact")>;
// A copy of the store beside it.
using backup_atom = caf::atom_constant<caf::atom("backup")>;
// A watcher asks to be told whether the store can be written.
using watch_store_atom = caf::atom_constant<caf::atom("ckwatch")>;
// Whether the store can be written, and why not.
using store_state_atom = caf::atom_constant<caf::atom("ckstate")>;

// A run's plan, stored with its first records: shared with the run (its
// RunState holds it), not copied into the records. Null in later writes. Local
// to the coordinator: never serialized.
struct SharedPlan {
  std::shared_ptr<const v1::Plan> plan;
};

// Who is told the store's state: now, and on every change.
using store_watcher_actor = caf::typed_actor<caf::reacts_to<store_state_atom, bool, std::string>>;

using checkpoint_actor = caf::typed_actor<
    // true once durable; an io_error when not written (the caller keeps its
    // records and tries again). A run's idempotency key goes in with its
    // summary, one atomic write; so does its plan, the first time. The
    // records' own `plan` field is not read.
    caf::replies_to<checkpoint_atom, Proto<v1::CheckpointRecords>, SharedPlan>::with<bool>,
    caf::replies_to<compact_atom, bool>::with<Proto<v1::CompactionReport>>,
    // In DATA_DIR/backups/checkpoint-TIME.
    caf::replies_to<backup_atom>::with<Proto<v1::BackupReport>>,
    // A run as stored: (run id, with its stories); not_found when unknown.
    caf::replies_to<status_atom, std::string, bool>::with<Proto<v1::RunStatus>>,
    // The nodes hosting agents, replaced; in the next write, no answer.
    caf::reacts_to<Proto<v1::AgentNodes>>, caf::reacts_to<watch_store_atom, store_watcher_actor>>;

}  // namespace rad

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rad::SharedPlan)
