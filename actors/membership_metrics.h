// The cluster as one node sees it:
//   rad_cluster_members{state}        members of its view, by state
//   rad_heartbeat_age_seconds{peer}   since each peer was last heard; peer is
//                                     the node's name (bounded by the cluster)
#pragma once

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <map>
#include <string>

#include "rad/v1/cluster.pb.h"

namespace rad {

class MembershipMetrics {
 public:
  explicit MembershipMetrics(prometheus::Registry& registry);

  void members(const v1::MembershipView& view);
  // Seconds by peer name; peers not listed are no longer shown.
  void heartbeat_ages(const std::map<std::string, double>& ages);

 private:
  std::array<prometheus::Gauge*, v1::MemberState_ARRAYSIZE> members_{};
  prometheus::Family<prometheus::Gauge>& ages_family_;
  std::map<std::string, prometheus::Gauge*> ages_;
};

}  // namespace rad
