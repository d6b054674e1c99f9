#include "actors/monitor/monitor_metrics.h"

#include "runtime/metrics.h"

namespace rad {

MonitorMetrics::MonitorMetrics(prometheus::Registry& registry) {
  auto& util = prometheus::BuildGauge()
                   .Name("resource_utilization_percent")
                   .Help("Use of this node's resources, in percent")
                   .Register(registry);
  cpu_util_ = &util.Add({{"resource_type", "cpu"}});
  memory_util_ = &util.Add({{"resource_type", "memory"}});
  cpu_ = single_gauge(registry, "rad_monitor_cpu_percent",
                      "CPU use of the host (or container) over the last sample interval");
  memory_used_ = single_gauge(registry, "rad_monitor_memory_used_bytes",
                              "Memory in use on the host (or in the container)");
  memory_total_ = single_gauge(registry, "rad_monitor_memory_total_bytes",
                               "Memory of the host (or the container's limit)");
  auto& load = prometheus::BuildGauge()
                   .Name("rad_monitor_load")
                   .Help("Load average of the host")
                   .Register(registry);
  load1_ = &load.Add({{"window", "1m"}});
  load5_ = &load.Add({{"window", "5m"}});
  load15_ = &load.Add({{"window", "15m"}});
}

void MonitorMetrics::sampled(const v1::NodeStats& s) {
  cpu_util_->Set(s.cpu_percent());
  cpu_->Set(s.cpu_percent());
  auto used = static_cast<double>(s.memory_used_bytes());
  auto total = static_cast<double>(s.memory_total_bytes());
  memory_util_->Set(total > 0 ? 100 * used / total : 0);
  memory_used_->Set(used);
  memory_total_->Set(total);
  load1_->Set(s.load1());
  load5_->Set(s.load5());
  load15_->Set(s.load15());
}

}  // namespace rad
