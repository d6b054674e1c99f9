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
// Its messages are protocol/agent.h.
#pragma once

#include <caf/local_actor.hpp>
#include <chrono>
#include <memory>

#include "actors/drivers/command_runner.h"
#include "actors/drivers/driver.h"
#include "protocol/agent.h"
#include "rad/v1/cluster.pb.h"

namespace rad {

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
  attempt_host_actor host;
  AttemptContextPtr context;
  std::string story_id;
  uint32_t attempt = 0;
  MockPlan plan;
  std::chrono::system_clock::time_point started;
};

// A mock agent of `start`'s attempt, spawned by its host (`host`, the actor
// spawning it). It finishes with the plan's outcome on finish_atom (at once
// for a zero duration), or CANCELLED on cancel_atom; it stops without a
// result on dismiss_atom. One that ends without its result (it crashed, or
// was killed) sends its host crashed_atom.
mock_agent_actor spawn_mock_agent(caf::local_actor* host, MockAgentStart start);

// Whether `story` runs commands on this node (an exec story with real drivers on).
bool runs_commands(const v1::Story& story, bool use_real);

// Starts an exec attempt: its preconditions, its command, its postconditions
// on identity.commands, one after the other. Its one result goes to `host` as
// Proto<StoryResult> (unless the host is gone by then); `cancel` stops it,
// waiting or running.
void start_exec_attempt(SpawnRequestPtr request, const attempt_host_actor& host,
                        AgentContext identity, CancelToken cancel);

}  // namespace rad
