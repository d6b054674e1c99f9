// The node's commands on /metrics, read from its CommandRunner at each scrape:
// rad_exec_slots, and rad_exec_commands{state="running"|"waiting"} (commands
// that wait for a slot, beyond agents.exec_slots).
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <vector>

#include "actors/drivers/command_runner.h"

namespace rad {

class CommandMetrics : public prometheus::Collectable {
 public:
  explicit CommandMetrics(std::weak_ptr<const CommandRunner> runner) : runner_(std::move(runner)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::weak_ptr<const CommandRunner> runner_;
};

}  // namespace rad
