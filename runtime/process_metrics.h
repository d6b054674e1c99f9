// The process_* metrics every Prometheus client exports, read from procfs at
// each scrape: resident and virtual memory, open and maximum file descriptors,
// threads, CPU seconds and start time. Elsewhere than Linux, none.
#pragma once

#include <prometheus/collectable.h>

namespace rad {

class ProcessMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace rad
