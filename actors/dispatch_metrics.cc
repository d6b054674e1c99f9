#include "actors/dispatch_metrics.h"

#include <prometheus/metric_family.h>

namespace rad {

std::vector<prometheus::MetricFamily> DispatchMetrics::Collect() const {
  auto views = views_.lock();
  if (!views) return {};
  auto queue = views->queue.get();
  prometheus::MetricFamily queued;
  queued.name = "rad_dispatch_queued";
  queued.help =
      "Attempts the coordinator holds until a node takes them, by kind: exec (waiting for a free "
      "command slot, agents.exec_slots per node) or other";
  queued.type = prometheus::MetricType::Gauge;
  for (auto [kind, value] :
       {std::pair{"exec", queue ? queue->exec : 0}, std::pair{"other", queue ? queue->other : 0}}) {
    prometheus::ClientMetric m;
    m.label.push_back({"kind", kind});
    m.gauge.value = static_cast<double>(value);
    queued.metric.push_back(std::move(m));
  }
  return {std::move(queued)};
}

}  // namespace rad
