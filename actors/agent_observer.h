// A seam of the AgentHost (actors/agent_host.h): an observer is told of each
// attempt the host starts and of each end, so that code which is not the
// host's own can know what runs on this node without the host knowing it.
// The host calls it on its own thread; with none (the default) it calls
// nothing.
//
// What the observer may do with an attempt is what may happen to any: its
// agent may exit (exit_reason::kill, or any reason) and the host ends the
// attempt FAILED, "agent crashed: ..."; an exec attempt has no agent, but the
// host takes (crashed_atom, Proto<StoryResult>, reason) (protocol/agent.h) for
// it the same way, and its command stops when its CancelToken is cancelled.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <cstdint>
#include <string>

#include "actors/agent.h"

namespace rad {

// One attempt, as the host holds it; valid during the call only.
struct AgentAttempt {
  const std::string& run_id;
  const std::string& story_id;
  uint32_t attempt;
  // Its Agent actor; none for an exec attempt, which runs on the node's
  // CommandRunner.
  const mock_agent_actor& agent;
  // What stops an exec attempt's command; null for an Agent actor.
  const CancelToken* cancel;
};

class AgentObserver {
 public:
  virtual ~AgentObserver() = default;
  // Once, as the host starts: which host tells, and the node it runs on.
  virtual void hosting(const caf::actor_addr& host, const AgentContext& identity) = 0;
  // The host took the attempt; it runs.
  virtual void started(const AgentAttempt& attempt) = 0;
  // Its result reached the host, whatever its outcome: it runs no more.
  virtual void ended(const AgentAttempt& attempt) = 0;
};

}  // namespace rad
