// Agent: runs one attempt of one story through its driver and sends exactly
// one StoryResult to its AgentHost, then stops. An attempt longer than the
// story's timeout_ms (0: none; the coordinator fills in its default) ends
// TIMED_OUT when the timeout passes. With agents.use_real, a story of a
// blocking driver (exec) runs its preconditions, its driver and its
// postconditions on a thread of its own (blocking_agent); llm stories run as
// mocks until their driver arrives.
#pragma once

#include <caf/event_based_actor.hpp>
#include <memory>

#include "actors/drivers/driver.h"
#include "rad/v1/cluster.pb.h"

namespace rad {

using cancel_atom = caf::atom_constant<caf::atom("cancel")>;

// What an agent knows of the node it runs on.
struct AgentContext {
  std::string node_id;
  uint64_t incarnation = 0;
  // agents.use_real: exec stories run their commands; false runs every story
  // with the mock driver.
  bool use_real = false;
};

// Shared, not copied: the request is read-only and an agent lives briefly.
using SpawnRequestPtr = std::shared_ptr<const v1::SpawnRequest>;

// The result of `request`'s attempt on this node, finished now, in the
// request's trace.
v1::StoryResult result_of(const v1::SpawnRequest& request, const AgentContext& context,
                          v1::Outcome outcome);

caf::behavior agent(caf::event_based_actor* self, SpawnRequestPtr request, caf::actor host,
                    AgentContext identity);

// An attempt of a blocking driver (actors/drivers/driver.h) between its
// preconditions and postconditions. Spawn it detached: it blocks while it
// works. It is cancelled through `cancel`, not through messages.
caf::behavior blocking_agent(caf::event_based_actor* self, SpawnRequestPtr request, caf::actor host,
                             AgentContext context, CancelToken cancel,
                             std::shared_ptr<BlockingDriver> driver);

}  // namespace rad
