#include "actors/agent_metrics.h"

#include <cctype>

#include "runtime/metrics.h"

namespace rad {
namespace {

constexpr std::array<const char*, kAgentKinds> kKindNames = {"mock", "exec", "llm"};

// OUTCOME_TIMED_OUT -> "timed_out".
std::string status_label(v1::Outcome outcome) {
  auto name = v1::Outcome_Name(outcome).substr(sizeof("OUTCOME_") - 1);
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// From 1 ms to 1 h, with the old system's 0.1 .. 300 s among them.
const prometheus::Histogram::BucketBoundaries kDurationBuckets = {
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,  1,   2,
    5,     10,    30,   60,    120,  300, 600,  1800, 3600};

}  // namespace

AgentKind agent_kind(const v1::Story& story, bool use_real) {
  if (!use_real) return AgentKind::mock;
  if (story.has_exec()) return AgentKind::exec;
  if (story.has_llm()) return AgentKind::llm;
  return AgentKind::mock;
}

AgentMetrics::AgentMetrics(prometheus::Registry& registry) {
  auto& tasks = prometheus::BuildCounter()
                    .Name("agent_tasks_total")
                    .Help("Agent attempts that ended on this node, by outcome and driver")
                    .Register(registry);
  auto& durations = prometheus::BuildHistogram()
                        .Name("agent_task_duration_seconds")
                        .Help("How long agent attempts ran on this node, by driver")
                        .Register(registry);
  for (size_t k = 0; k < kAgentKinds; ++k) {
    durations_[k] = &durations.Add({{"kind", kKindNames[k]}}, kDurationBuckets);
    for (int o = v1::Outcome_MIN; o <= v1::Outcome_MAX; ++o)
      // Lost attempts are the coordinator's word: no agent ends so.
      if (v1::Outcome_IsValid(o) && o != v1::OUTCOME_UNSPECIFIED && o != v1::OUTCOME_NODE_LOST)
        tasks_[static_cast<size_t>(o)][k] = &tasks.Add(
            {{"status", status_label(static_cast<v1::Outcome>(o))}, {"kind", kKindNames[k]}});
  }
  active_ = single_gauge(registry, "active_agents", "Agents running on this node now");
}

std::shared_ptr<AgentMetrics> AgentMetrics::unscraped() {
  // Lives as long as the process: agents of any actor system may outlive a test.
  static prometheus::Registry registry;
  return std::make_shared<AgentMetrics>(registry);
}

void AgentMetrics::ended(AgentKind kind, v1::Outcome outcome, std::chrono::duration<double> ran) {
  active_->Decrement();
  auto k = static_cast<size_t>(kind);
  if (auto* counter = tasks_[static_cast<size_t>(outcome)][k]) counter->Increment();
  durations_[k]->Observe(ran.count());
}

}  // namespace rad
