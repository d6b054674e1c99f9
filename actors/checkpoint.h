// Checkpoint (coordinator): the only writer of the checkpoint store. Requests
// that arrive together are committed together, in one write (in sync mode
// batch, one fsync) for all of them; each is answered once its records are
// durable, and only then does its Run act on them.
//
//   (checkpoint_atom, Proto<CheckpointRecords>) -> true | error (io_error: not written;
//                                                 the caller tries again later); a run's
//                                                 idempotency key goes in with its
//                                                 summary, one atomic write
//   (compact_atom, bool dry_run)                -> Proto<CompactionReport>
//   backup_atom                                 -> Proto<BackupReport>: a copy of the
//                                                 store in DATA_DIR/backups/checkpoint-TIME
//   (status_atom, run id, bool with_stories)    -> Proto<RunStatus> as stored | not_found
//   Proto<AgentNodes>                              replaces the nodes hosting agents
//                                                 (no answer; in the next write)
//   (watch_store_atom)                          the sender is told whether the store can
//                                               be written, now and on every change:
//                                               (store_state_atom, bool writable, message)
// It also compacts by itself every CheckpointOptions::compact_every.
//
// A failed write makes the store unwritable (a full disk, say) until a write
// succeeds. Meanwhile the writers keep their records and try again, and this
// actor tries the store every second by itself too: once space returns, it is
// writable again even when no one writes. It logs a warning when the store
// becomes unwritable and an info when it is writable again, not one per try.
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <memory>
#include <string>
#include <vector>

#include "actors/checkpoint_metrics.h"
#include "persistence/store.h"

namespace rad {

using checkpoint_atom = caf::atom_constant<caf::atom("ckpt")>;
using compact_atom = caf::atom_constant<caf::atom("compact")>;
using backup_atom = caf::atom_constant<caf::atom("backup")>;
using watch_store_atom = caf::atom_constant<caf::atom("ckwatch")>;
using store_state_atom = caf::atom_constant<caf::atom("ckstate")>;

struct CheckpointOptions {
  Store::Retention retention;
  // Zero: only when asked.
  std::chrono::minutes compact_every{60};
  // Where each group commit is timed; none: nowhere.
  std::shared_ptr<CheckpointMetrics> metrics;
};

struct CheckpointState {
  std::shared_ptr<Store> store;
  CheckpointOptions options;
  Store::Batch batch;
  std::vector<caf::typed_response_promise<bool>> waiting;
  // The group commit's span joins the trace of its first record's run: one
  // span per write, whatever number of runs it serves.
  std::string first_traceparent, first_run_id;
  uint64_t first_at = 0;
  bool flush_scheduled = false;
  // What the watchers were told last.
  bool writable = true;
  std::string message;
  std::vector<caf::actor> watchers;
  bool probe_scheduled = false;
  static inline const char* name = "rad.checkpoint";
};

caf::behavior checkpoint(caf::stateful_actor<CheckpointState>* self, std::shared_ptr<Store> store,
                         CheckpointOptions options);

}  // namespace rad
