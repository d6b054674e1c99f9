// Checkpoint (coordinator): the only writer of the checkpoint store. Requests
// that arrive together are committed together, in one write (in sync mode
// batch, one fsync) for all of them; each is answered once its records are
// durable, and only then does its Run act on them. Its messages are
// protocol/checkpoint.h. It also compacts by itself every
// CheckpointOptions::compact_every.
//
// A failed write makes the store unwritable (a full disk, say) until a write
// succeeds. Meanwhile the writers keep their records and try again, and this
// actor tries the store every second by itself too: once space returns, it is
// writable again even when no one writes. It logs a warning when the store
// becomes unwritable and an info when it is writable again, not one per try.
#pragma once

#include <caf/actor_system.hpp>
#include <chrono>
#include <memory>

#include "actors/checkpoint_metrics.h"
#include "persistence/store.h"
#include "protocol/checkpoint.h"

namespace rad {

struct CheckpointOptions {
  Store::Retention retention;
  // Zero: only when asked.
  std::chrono::minutes compact_every{60};
  // Where each group commit is timed; none: nowhere.
  std::shared_ptr<CheckpointMetrics> metrics;
};

// Detached: a write's fsync blocks only this actor's thread.
checkpoint_actor spawn_checkpoint(caf::actor_system& system, std::shared_ptr<Store> store,
                                  CheckpointOptions options);

}  // namespace rad
