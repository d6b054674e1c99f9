// The agents of one node, under the names the old system's dashboards use:
//   agent_tasks_total{status,kind}        attempts that ended here
//   agent_task_duration_seconds{kind}     how long they ran (1 ms .. 1 h buckets)
//   active_agents                         agents running now
// status is the outcome in lower case (succeeded, failed, timed_out, ...);
// kind the driver that ran it (mock, exec, llm). No label names a run or story.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <memory>

#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"

namespace rad {

enum class AgentKind { mock, exec, llm };
inline constexpr size_t kAgentKinds = 3;

// The driver that runs `story` on a node: its own with agents.use_real, else mock.
AgentKind agent_kind(const v1::Story& story, bool use_real);

class AgentMetrics {
 public:
  explicit AgentMetrics(prometheus::Registry& registry);
  // For hosts nobody scrapes (tests): counted in a registry of their own.
  static std::shared_ptr<AgentMetrics> unscraped();

  void started() { active_->Increment(); }
  void ended(AgentKind kind, v1::Outcome outcome, std::chrono::duration<double> ran);

 private:
  // Every series exists from the start, at zero: rate() needs no first sample.
  std::array<std::array<prometheus::Counter*, kAgentKinds>, v1::Outcome_ARRAYSIZE> tasks_{};
  std::array<prometheus::Histogram*, kAgentKinds> durations_{};
  prometheus::Gauge* active_ = nullptr;
};

}  // namespace rad
