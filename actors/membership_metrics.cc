#include "actors/membership_metrics.h"

#include "runtime/metrics.h"

namespace rad {

MembershipMetrics::MembershipMetrics(prometheus::Registry& registry)
    : ages_family_(prometheus::BuildGauge()
                       .Name("rad_heartbeat_age_seconds")
                       .Help("Seconds since this node last heard each peer")
                       .Register(registry)) {
  auto& members = prometheus::BuildGauge()
                      .Name("rad_cluster_members")
                      .Help("Members of the cluster as this node sees it, by state")
                      .Register(registry);
  add_gauge_per_state<v1::MemberState>(members, members_);
}

void MembershipMetrics::members(const v1::MembershipView& view) {
  std::array<double, v1::MemberState_ARRAYSIZE> counts{};
  for (const auto& m : view.members()) ++counts[static_cast<size_t>(m.state())];
  for (size_t s = 0; s < counts.size(); ++s)
    if (members_[s]) members_[s]->Set(counts[s]);
}

void MembershipMetrics::heartbeat_ages(const std::map<std::string, double>& ages) {
  for (auto it = ages_.begin(); it != ages_.end();) {
    if (ages.count(it->first)) {
      ++it;
      continue;
    }
    ages_family_.Remove(it->second);
    it = ages_.erase(it);
  }
  for (const auto& [peer, age] : ages) {
    auto& gauge = ages_[peer];
    if (!gauge) gauge = &ages_family_.Add({{"peer", peer}});
    gauge->Set(age);
  }
}

}  // namespace rad
