#include "faults/chaos_metrics.h"

#include "faults/link_faults.h"
#include "runtime/metrics.h"

namespace rad {

ChaosTally& chaos_tally() {
  static ChaosTally tally;
  return tally;
}

std::vector<prometheus::MetricFamily> ChaosMetrics::Collect() const {
  auto link = LinkFaults::instance().counts();
  const auto& t = chaos_tally();
  auto value = [](uint64_t n) { return static_cast<double>(n); };
  return {
      counter_family("rad_chaos_link_dropped_total",
                     "Messages to peers that chaos dropped at the envelope layer",
                     value(link.dropped)),
      counter_family("rad_chaos_link_delayed_total", "Messages to peers that chaos delayed",
                     value(link.delayed)),
      counter_family("rad_chaos_link_duplicated_total", "Messages to peers that chaos sent twice",
                     value(link.duplicated)),
      counter_family("rad_chaos_agents_killed_total", "Agents chaos killed on this node",
                     value(t.agents_killed.load())),
      counter_family("rad_chaos_checkpoint_write_failures_total",
                     "Checkpoint writes chaos failed on this node",
                     value(t.checkpoint_write_failures.load())),
  };
}

}  // namespace rad
