#include "actors/drivers/command_metrics.h"

#include "runtime/metrics.h"

namespace rad {

std::vector<prometheus::MetricFamily> CommandMetrics::Collect() const {
  auto runner = runner_.lock();
  if (!runner) return {};
  return {
      gauge_family("rad_exec_slots", "Commands this node runs at once at most (agents.exec_slots)",
                   static_cast<double>(runner->slots())),
      labelled_gauge_family("rad_exec_commands",
                            "Commands of exec stories and their checks on this node, by state: "
                            "running, or waiting for one of agents.exec_slots",
                            "state",
                            {{"running", static_cast<double>(runner->running())},
                             {"waiting", static_cast<double>(runner->waiting())}})};
}

}  // namespace rad
