// The coordinator's Dispatcher queue on /metrics, read from what it publishes
// (NodeViews::queue) at each scrape: rad_dispatch_queued{kind="exec"|"other"},
// attempts held until a node takes them (exec ones wait for a free command slot).
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <vector>

#include "actors/node_views.h"

namespace rad {

class DispatchMetrics : public prometheus::Collectable {
 public:
  explicit DispatchMetrics(std::weak_ptr<const NodeViews> views) : views_(std::move(views)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::weak_ptr<const NodeViews> views_;
};

}  // namespace rad
