// Chaos: the faults this node injects into itself, when `radctl chaos run`
// asks through POST /v1/chaos (faults/chaos_api.h; only with chaos.enabled,
// faults/chaos_extension.h).
// Process faults (kill -9, restarts, SIGTERM) are the runner's: it owns the
// processes. Here: agents killed, the link's envelopes dropped, delayed or
// duplicated, partitions, CPU and memory pressure, checkpoint write failures.
//
// Its messages are protocol/chaos.h. A fault with duration_ms ends by itself then; 0 lasts until
// cleared.
#pragma once

#include <caf/actor_system.hpp>
#include <memory>
#include <string>

#include "faults/agent_killer.h"
#include "faults/resource_pressure.h"
#include "faults/write_faults.h"
#include "protocol/chaos.h"
#include "protocol/membership.h"
#include "rad/v1/chaos.pb.h"

namespace rad {

struct ChaosOptions {
  std::string node_name;
  membership_actor membership;  // for the view: peers are named in commands
  // The AgentHost's observer; null on a coordinator-only node.
  std::shared_ptr<AgentKiller> agents;
  // The checkpoint store's write hook; null on a worker.
  std::shared_ptr<WriteFaults> writes;
};

chaos_actor spawn_chaos(caf::actor_system& system, ChaosOptions options);

}  // namespace rad
