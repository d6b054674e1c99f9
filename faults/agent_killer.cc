#include "faults/agent_killer.h"

#include <algorithm>
#include <caf/send.hpp>
#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include "faults/chaos_metrics.h"
#include "runtime/logging.h"
#include "runtime/proto_bridge.h"

namespace rad {
namespace {

// The FAILED result of an exec attempt killed here, as its host would make it.
v1::StoryResult crashed_result(const std::string& run_id, const std::string& story_id,
                               uint32_t attempt, const AgentContext& identity) {
  v1::SpawnRequest request;
  request.set_run_id(run_id);
  request.mutable_story()->set_id(story_id);
  request.set_attempt(attempt);
  return result_of(request, identity, v1::OUTCOME_FAILED);
}

}  // namespace

void AgentKiller::hosting(const caf::actor_addr& host, const AgentContext& identity) {
  std::lock_guard<std::mutex> guard{mutex_};
  host_ = host;
  identity_ = identity;
}

void AgentKiller::started(const AgentAttempt& a) {
  Victim victim{a.agent.address(), std::nullopt};
  if (a.cancel) victim.cancel = *a.cancel;
  std::lock_guard<std::mutex> guard{mutex_};
  running_.insert_or_assign(Key{a.run_id, a.story_id, a.attempt}, std::move(victim));
}

void AgentKiller::ended(const AgentAttempt& a) {
  std::lock_guard<std::mutex> guard{mutex_};
  running_.erase(Key{a.run_id, a.story_id, a.attempt});
}

uint32_t AgentKiller::kill(double fraction, uint64_t seed) {
  std::vector<std::pair<Key, Victim>> chosen;
  size_t of = 0;
  attempt_host_actor host;
  AgentContext identity;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    of = running_.size();
    if (of == 0 || fraction <= 0) return 0;
    std::vector<Key> keys;
    keys.reserve(of);
    for (const auto& entry : running_) keys.push_back(entry.first);
    std::mt19937_64 random{seed};
    std::shuffle(keys.begin(), keys.end(), random);
    auto count = std::min(of, static_cast<size_t>(std::ceil(fraction * of)));
    // Out of the registry at once: a second kill before the host has heard
    // of these chooses among the others.
    for (size_t i = 0; i < count; ++i) {
      auto it = running_.find(keys[i]);
      chosen.emplace_back(std::move(*it));
      running_.erase(it);
    }
    host = caf::actor_cast<attempt_host_actor>(host_);
    identity = identity_;
  }
  for (auto& [key, victim] : chosen) {
    if (victim.agent) {
      caf::anon_send_exit(victim.agent, caf::exit_reason::kill);
      continue;
    }
    // An exec attempt has no agent to kill. Its host hears of the crash
    // before the command stops, so the command's own (cancelled) result
    // arrives for an attempt already ended.
    const auto& [run_id, story_id, attempt] = key;
    if (host)
      caf::anon_send(host, crashed_atom::value,
                     proto(crashed_result(run_id, story_id, attempt, identity)),
                     caf::make_error(caf::exit_reason::kill));
    if (victim.cancel) victim.cancel->cancel();
  }
  chaos_tally().agents_killed += chosen.size();
  logger("agents")->warn("chaos killed {} of {} running agents", chosen.size(), of);
  return static_cast<uint32_t>(chosen.size());
}

}  // namespace rad
