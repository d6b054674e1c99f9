// AgentHost: spawns Agent actors on this node when the coordinator asks, up to
// agents.max_agents at once (refusals are answered, never dropped), collects
// their results and sends them back in batches: the cluster link is scarce.
//
// The coordinator's Dispatcher sends it work directly; work is taken only from
// this node or from the coordinator the node joined (coordinator_atom), so a
// batch a dead coordinator sent is never started beside the next one's.
//
// Messages (agent_host_actor, protocol/agent_host.h):
//   (coordinator_atom, node_id) from this node's membership: the coordinator it
//                           joined (or is joining); none: no coordinator
//   (Proto<SpawnBatch>, ResultRoutes)
//                        -> Proto<SpawnReply>, one decision per request. Results
//                           go straight to their run's sink (its Run actor, as
//                           the routes name it), and the sender (a placer_actor,
//                           the Dispatcher) is told which attempts settled; a run
//                           with no sink, or whose sink went down, has its
//                           results sent to the sender itself
//   Proto<CancelRequest>    cancels the run's agents (or the listed stories). A plain
//                           mock agent is ended by the host at once (its result
//                           CANCELLED, the agent told to stop silently): 100,000
//                           of them take one handler. Exec and sampled agents
//                           are told to stop and report. Spawns of a whole run
//                           cancelled here lately (batches in flight) are refused
//   drain_atom           -> true once no agent runs and every result is sent;
//                           from then on every spawn is refused (retry elsewhere)
//   drain_now_atom       -> as drain_atom, stopping the running agents first:
//                           their attempts end NODE_LOST (the node goes), so
//                           they are placed again elsewhere
//   running_atom         -> uint32_t, agents running now
//   Proto<StoryResult>      an attempt's one result, from its agent or exec
//                           attempt (actors/agent.h)
//   (crashed_atom, Proto<StoryResult>, reason)
//                           an attempt ended without its result; its agent
//                           sends it as it goes (actors/agent.h), and so may
//                           anyone local for an exec attempt (actors/agent_observer.h)
//   (fence_atom, why)       the node's lease ran out (actors/pulse.h): every
//                           running agent is stopped and its attempt ends
//                           NODE_LOST, as the coordinator may place it again
//   adopt_atom           -> Proto<AgentReport>: the attempts running here and the
//                           results that found no coordinator; from now on every
//                           result goes to the sender (a coordinator's Dispatcher,
//                           perhaps a restarted one)
//
// Results whose coordinator is gone (its Dispatcher is down) are kept until a
// coordinator asks with adopt_atom: agents that ran on cannot be run again.
//
// An AgentObserver (actors/agent_observer.h), when given, is told of each
// attempt started and ended here.
#pragma once

#include <caf/actor_system.hpp>
#include <cstdint>
#include <memory>

#include "actors/agent.h"
#include "actors/agent_metrics.h"
#include "actors/agent_observer.h"
#include "protocol/agent_host.h"

namespace rad {

struct AgentHostOptions {
  // The node it runs on, and how its exec attempts run.
  AgentContext identity;
  // Agents at once (agents.max_agents); spawns beyond are refused.
  uint32_t max_agents = 0;
  // Where this node's agents are counted (actors/agent_metrics.h); null: nowhere.
  std::shared_ptr<AgentMetrics> metrics;
  // Told of each attempt started and ended here; null: no one.
  std::shared_ptr<AgentObserver> observer;
};

agent_host_actor spawn_agent_host(caf::actor_system& system, AgentHostOptions options);

}  // namespace rad
