#include "runtime/link_traffic.h"

#include "runtime/metrics.h"

namespace rad {

LinkTraffic& link_traffic() {
  static LinkTraffic traffic;
  return traffic;
}

std::vector<prometheus::MetricFamily> LinkTrafficMetrics::Collect() const {
  const auto& t = link_traffic();
  auto value = [](const std::atomic<uint64_t>& a) {
    return static_cast<double>(a.load(std::memory_order_relaxed));
  };
  return {
      counter_family("rad_link_messages_sent_total", "rad messages serialized for a peer",
                     value(t.messages_sent)),
      counter_family("rad_link_bytes_sent_total", "Protobuf bytes of the messages sent to peers",
                     value(t.bytes_sent)),
      counter_family("rad_link_messages_received_total", "rad messages read from a peer",
                     value(t.messages_received)),
      counter_family("rad_link_bytes_received_total",
                     "Protobuf bytes of the messages received from peers",
                     value(t.bytes_received)),
  };
}

}  // namespace rad
