#include "actors/dispatch_metrics.h"

#include "runtime/metrics.h"

namespace rad {

std::vector<prometheus::MetricFamily> DispatchMetrics::Collect() const {
  auto views = views_.lock();
  if (!views) return {};
  auto queue = views->queue.get();
  auto exec = queue ? static_cast<double>(queue->exec) : 0.0;
  auto other = queue ? static_cast<double>(queue->other) : 0.0;
  return {labelled_gauge_family(
      "rad_dispatch_queued",
      "Attempts the coordinator holds until a node takes them, by kind: exec (waiting for a free "
      "command slot, agents.exec_slots per node) or other",
      "kind", {{"exec", exec}, {"other", other}})};
}

}  // namespace rad
