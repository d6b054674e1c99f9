#include "actors/drivers/command_metrics.h"

#include "runtime/metrics.h"

namespace rad {

std::vector<prometheus::MetricFamily> CommandMetrics::Collect() const {
  auto runner = runner_.lock();
  if (!runner) return {};
  prometheus::MetricFamily commands;
  commands.name = "rad_exec_commands";
  commands.help =
      "Commands of exec stories and their checks on this node, by state: running, or waiting for "
      "one of agents.exec_slots";
  commands.type = prometheus::MetricType::Gauge;
  for (auto [state, value] :
       {std::pair{"running", runner->running()}, std::pair{"waiting", runner->waiting()}}) {
    prometheus::ClientMetric m;
    m.label.push_back({"state", state});
    m.gauge.value = static_cast<double>(value);
    commands.metric.push_back(std::move(m));
  }
  return {
      gauge_family("rad_exec_slots", "Commands this node runs at once at most (agents.exec_slots)",
                   static_cast<double>(runner->slots())),
      std::move(commands)};
}

}  // namespace rad
