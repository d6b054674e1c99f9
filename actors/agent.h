// Agent: runs one attempt of one story through its driver and reports it
// once to its AgentHost, then stops. An attempt longer than the story's
// timeout_ms (0: none; the coordinator fills in its default) ends TIMED_OUT
// when the timeout passes. With agents.use_real, an exec story runs its
// preconditions, its command and its postconditions on the node's
// CommandRunner, with no actor or thread of its own (start_exec_attempt), and
// sends its result; llm stories run as mocks until their driver arrives.
//
// A mock agent is the common case and may wait for minutes, so an idle one
// costs no more than a bare CAF actor (docs/BENCHMARKS.md, issues [6] and
// [8]). It is a typed actor without state, which CAF allocates in 1,024 bytes
// (any state at all takes it to jemalloc's next class, 1,280). Its host plans
// the attempt (plan_mock), keeps what the result needs, and keeps one timer
// for all its agents, sending each finish_atom when its duration has passed;
// the agent knows only its host and its id there, says how it ended
// (ended_atom), and the host makes the result. One that goes without saying
// so (it crashed, or was killed) reports that as it goes. Its messages are
// protocol/agent.h.
#pragma once

#include <caf/intrusive_ptr.hpp>
#include <caf/local_actor.hpp>
#include <caf/ref_counted.hpp>
#include <chrono>
#include <memory>

#include "actors/drivers/command_runner.h"
#include "actors/drivers/driver.h"
#include "protocol/agent.h"
#include "rad/v1/cluster.pb.h"

namespace rad {

class ActiveSpan;

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

// What the attempts of a spawn batch have in common, read-only: the node, the
// run and the trace parent (the request's traceparent). Shared by every mock
// attempt of the batch that its host keeps, with an 8-byte handle.
struct AttemptContext : caf::ref_counted {
  AttemptContext(AgentContext identity, std::string run_id, std::string traceparent)
      : identity(std::move(identity)),
        run_id(std::move(run_id)),
        traceparent(std::move(traceparent)) {}
  AgentContext identity;
  std::string run_id;
  std::string traceparent;
};
using AttemptContextPtr = caf::intrusive_ptr<const AttemptContext>;

// How a mock attempt ends when it runs its course: what its host keeps to
// make its result (12 bytes: a host holds 100,000s).
struct MockEnding {
  v1::Outcome outcome = v1::OUTCOME_SUCCEEDED;
  uint32_t output_bytes = 0;  // of output, made when the attempt ends
  uint32_t timeout_ms = 0;    // the story's, for a timed-out attempt's error (saturated)
};

// A mock attempt as the mock driver plans it, cut at the story's timeout.
struct MockPlan {
  std::chrono::milliseconds duration{0};
  MockEnding ending;
  bool crash = false;  // the agent fails at once (crash_first_attempts)
};
MockPlan plan_mock(const v1::SpawnRequest& request);

// A mock attempt's `run` span, when the coordinator sampled it (a child of the
// host's `spawn` span, `context.traceparent`); null otherwise.
std::shared_ptr<ActiveSpan> mock_run_span(const AttemptContext& context,
                                          const std::string& story_id, uint32_t attempt);

// The result of a mock attempt of `story_id` started at `started` that ends
// now with `outcome`: its output or error as `ending` plans when it is the
// planned one, "cancelled" when CANCELLED, none otherwise (the caller says).
// The result continues the context's trace, through `span` when sampled
// (which it closes).
v1::StoryResult mock_result(const AttemptContext& context, const std::string& story_id,
                            uint32_t attempt, const MockEnding& ending, v1::Outcome outcome,
                            std::chrono::system_clock::time_point started,
                            const std::shared_ptr<ActiveSpan>& span);

struct MockAgentStart {
  attempt_host_actor host;
  MockAgentId id = 0;    // its attempt's, at the host
  bool crash = false;    // it fails at once (the plan's crash_first_attempts)
  bool at_once = false;  // a zero duration: it ends as it starts
};

// A mock agent of `start`'s attempt, spawned by its host (`host`, the actor
// spawning it). On finish_atom (at once for a zero duration) it tells its host
// (ended_atom, id, false), on cancel_atom (ended_atom, id, true); on
// dismiss_atom it stops and says nothing. One that ends otherwise (it crashed,
// or was killed) sends (crashed_atom, id, reason).
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
