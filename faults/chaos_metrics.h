// What chaos did to this process, counted: the link's envelopes it dropped,
// delayed and duplicated (faults/link_faults.h), the agents it killed
// (faults/agent_killer.h) and the checkpoint writes it failed
// (faults/write_faults.h). Every rad-node serves them (faults/chaos_extension.h);
// they stay 0 unless chaos.enabled lets faults in.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <cstdint>

namespace rad {

struct ChaosTally {
  std::atomic<uint64_t> agents_killed{0}, checkpoint_write_failures{0};
};

// The process's tally (one node per process).
ChaosTally& chaos_tally();

// rad_chaos_link_{dropped,delayed,duplicated}_total, rad_chaos_agents_killed_total,
// rad_chaos_checkpoint_write_failures_total.
class ChaosMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace rad
