// The Monitor's latest sample of this node:
//   resource_utilization_percent{resource_type="cpu"|"memory"}   (the old system's name)
//   rad_monitor_cpu_percent, rad_monitor_memory_used_bytes,
//   rad_monitor_memory_total_bytes, rad_monitor_load{window="1m"|"5m"|"15m"}
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "rad/v1/cluster.pb.h"

namespace rad {

class MonitorMetrics {
 public:
  explicit MonitorMetrics(prometheus::Registry& registry);
  void sampled(const v1::NodeStats& stats);

 private:
  prometheus::Gauge *cpu_util_, *memory_util_, *cpu_, *memory_used_, *memory_total_;
  prometheus::Gauge *load1_, *load5_, *load15_;
};

}  // namespace rad
