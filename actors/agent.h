// Agent: runs one attempt of one story through its driver and sends exactly
// one StoryResult to its AgentHost, then stops. An attempt longer than the
// story's timeout_ms (0: none; the coordinator fills in its default) ends
// TIMED_OUT when the timeout passes. With agents.use_real, an exec story runs
// its preconditions, its command and its postconditions on the node's
// CommandRunner, with no actor or thread of its own (start_exec_attempt); llm
// stories run as mocks until their driver arrives.
//
// A mock agent is the common case and may wait for minutes, so an idle one
// costs little more than a bare CAF actor (docs/BENCHMARKS.md, issue [6]):
// its host plans the attempt (plan_mock) and keeps one timer for all its
// agents, sending each finish_atom when its duration has passed; the agent
// keeps what its result needs in its actor's state, sharing what the agents of
// a batch have in common (AttemptContext), and sends the result itself.
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <chrono>
#include <memory>

#include "actors/drivers/command_runner.h"
#include "actors/drivers/driver.h"
#include "rad/v1/cluster.pb.h"
#include "runtime/span.h"

namespace rad {

using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
// To a mock agent from its host: its duration has passed.
using finish_atom = caf::atom_constant<caf::atom("finish")>;
// To a mock agent from its host: stop at once and send nothing; the host has
// ended the attempt itself (a cancel of 100,000 agents then costs one message
// each, not two, and the host is done at once).
using forget_atom = caf::atom_constant<caf::atom("forget")>;
// (crashed_atom, Proto<StoryResult>): local, to the host, from an agent that
// ended without its result; the result says why.
using crashed_atom = caf::atom_constant<caf::atom("crashed")>;

// What an agent knows of the node it runs on.
struct AgentContext {
  std::string node_id;
  uint64_t incarnation = 0;
  // agents.use_real: exec stories run their commands; false runs every story
  // with the mock driver.
  bool use_real = false;
  // Where exec attempts run their commands; null: shared_command_runner().
  std::shared_ptr<CommandRunner> commands = nullptr;
};

// Shared, not copied: the request is read-only and an agent lives briefly.
using SpawnRequestPtr = std::shared_ptr<const v1::SpawnRequest>;

// The result of `request`'s attempt on this node, finished now, in the
// request's trace.
v1::StoryResult result_of(const v1::SpawnRequest& request, const AgentContext& context,
                          v1::Outcome outcome);

// What the agents of a spawn batch have in common, read-only: the node, the
// run and the trace parent (the request's traceparent).
struct AttemptContext {
  AgentContext identity;
  std::string run_id;
  std::string traceparent;
};
using AttemptContextPtr = std::shared_ptr<const AttemptContext>;

// A mock attempt as the mock driver plans it, cut at the story's timeout.
struct MockPlan {
  std::chrono::milliseconds duration{0};
  v1::Outcome outcome = v1::OUTCOME_SUCCEEDED;
  uint64_t timeout_ms = 0;    // the story's, for the error of a timed-out attempt
  uint32_t output_bytes = 0;  // of output, made when the attempt ends
  bool crash = false;         // the agent fails at once (crash_first_attempts)
};
MockPlan plan_mock(const v1::SpawnRequest& request);

struct MockAgentStart {
  caf::actor host;
  AttemptContextPtr context;
  std::string story_id;
  uint32_t attempt = 0;
  MockPlan plan;
  std::chrono::system_clock::time_point started;
};

// Kept in the agent's actor: CAF rounds an event_based_actor (1,072 bytes
// with its control block) up to jemalloc's 1,280-byte class, so up to 200
// bytes of state cost nothing more.
struct MockAgentState {
  caf::event_based_actor* self = nullptr;
  MockAgentStart start;
  bool reported = false;
  // The attempt's `run` span, when sampled.
  std::shared_ptr<ActiveSpan> span;
  // An agent that ends without its result (it crashed, or was killed) tells
  // its host here, the one place every end passes through: a functor attached
  // to each agent would cost another allocation per agent.
  ~MockAgentState();
  static inline const char* name = "rad.agent";
};

// Finishes with the plan's outcome on finish_atom (at once for a zero
// duration), or CANCELLED on cancel_atom; stops without a result on forget_atom.
caf::behavior mock_agent(caf::stateful_actor<MockAgentState>* self, MockAgentStart start);

// Whether `story` runs commands on this node (an exec story with real drivers on).
bool runs_commands(const v1::Story& story, bool use_real);

// Starts an exec attempt: its preconditions, its command, its postconditions
// on identity.commands, one after the other. Its one result goes to `host` as
// Proto<StoryResult> (unless the host is gone by then); `cancel` stops it,
// waiting or running.
void start_exec_attempt(SpawnRequestPtr request, const caf::actor& host, AgentContext identity,
                        CancelToken cancel);

}  // namespace rad
