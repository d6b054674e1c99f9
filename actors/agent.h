// Agent: runs one attempt of one story through its driver and sends exactly
// one StoryResult to its AgentHost, then stops. An attempt longer than the
// story's timeout_ms (0: none; the coordinator fills in its default) ends
// TIMED_OUT when the timeout passes. Only the mock driver exists so
// far; stories of other drivers run as a zero-length mock until agents.use_real
// and the exec and llm drivers arrive (issue [3]).
#pragma once

#include <caf/event_based_actor.hpp>
#include <memory>

#include "rad/v1/cluster.pb.h"

namespace rad {

using cancel_atom = caf::atom_constant<caf::atom("cancel")>;

struct AgentIdentity {
  std::string node_id;
  uint64_t incarnation = 0;
};

// Shared, not copied: the request is read-only and an agent lives briefly.
using SpawnRequestPtr = std::shared_ptr<const v1::SpawnRequest>;

caf::behavior agent(caf::event_based_actor* self, SpawnRequestPtr request, caf::actor host,
                    AgentIdentity identity);

}  // namespace rad
