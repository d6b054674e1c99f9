// Chaos: the faults this node injects into itself, when `radctl chaos run`
// asks through POST /v1/chaos (faults/chaos_api.h; only with chaos.enabled,
// faults/chaos_extension.h).
// Process faults (kill -9, restarts, SIGTERM) are the runner's: it owns the
// processes. Here: agents killed, the link's envelopes dropped, delayed or
// duplicated, partitions, CPU and memory pressure, checkpoint write failures.
//
// Messages:
//   Proto<ChaosCommand> -> Proto<ChaosAck>: applied, saying what was done; an
//                          invalid_input error when this node cannot take it
//                          (no agents here, no checkpoint here, unknown peer)
//   clear_atom          -> Proto<ChaosAck>: every fault of this node ended
//
// A fault with duration_ms ends by itself then; 0 lasts until cleared.
#pragma once

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <memory>
#include <string>

#include "faults/agent_killer.h"
#include "faults/resource_pressure.h"
#include "faults/write_faults.h"
#include "protocol/membership.h"
#include "rad/v1/chaos.pb.h"

namespace rad {

using clear_atom = caf::atom_constant<caf::atom("clear")>;

struct ChaosOptions {
  std::string node_name;
  membership_actor membership;  // for the view: peers are named in commands
  // The AgentHost's observer; null on a coordinator-only node.
  std::shared_ptr<AgentKiller> agents;
  // The checkpoint store's write hook; null on a worker.
  std::shared_ptr<WriteFaults> writes;
};

struct ChaosState {
  ChaosOptions options;
  std::unique_ptr<ResourcePressure> pressure;
  uint64_t pressure_generation = 0;  // a newer pressure outlives an older one's end
  static inline const char* name = "rad.chaos";
};

caf::behavior chaos(caf::stateful_actor<ChaosState>* self, ChaosOptions options);

}  // namespace rad
