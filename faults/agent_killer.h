// Agents killed (docs/CHAOS.md): the AgentHost's observer
// (actors/agent_observer.h), which keeps its own registry of the attempts
// running on this node and kills a share of them as a crash would. The host
// knows nothing of it: a killed agent exits with exit_reason::kill and its
// attempt ends FAILED, "agent crashed: ...", like any agent that crashed; an
// exec attempt, which has no agent, is reported crashed to its host and its
// command stopped. The coordinator then retries the story, as after a crash.
//
//   auto killer = std::make_shared<AgentKiller>();
//   spawn_agent_host(system, {identity, max_agents, metrics, killer});
//   ...
//   uint32_t killed = killer->kill(0.5, seed);  // half of those running now
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "actors/agent_observer.h"

namespace rad {

class AgentKiller : public AgentObserver {
 public:
  void hosting(const caf::actor_addr& host, const AgentContext& identity) override;
  void started(const AgentAttempt& attempt) override;
  void ended(const AgentAttempt& attempt) override;

  // Kills that share of the attempts running now (at least one while any
  // runs and `fraction` > 0), chosen with `seed`: the same seed and attempts
  // choose the same. Returns how many (counted in chaos_tally()).
  uint32_t kill(double fraction, uint64_t seed);

 private:
  using Key = std::tuple<std::string, std::string, uint32_t>;  // run, story, attempt
  struct Victim {
    caf::actor_addr agent;  // weak: the registry keeps no agent alive
    std::optional<CancelToken> cancel;
  };

  std::mutex mutex_;
  caf::actor_addr host_;
  AgentContext identity_;
  // Ordered: the seed's choice does not depend on the order of spawns.
  std::map<Key, Victim> running_;
};

}  // namespace rad
