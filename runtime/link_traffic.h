// What crosses the cluster link, counted at rad's envelope layer: every
// Proto<T> CAF serializes for a peer is a message sent, every one it reads
// from a peer a message received, with its protobuf bytes. Local messages are
// never serialized, so they do not count.
#pragma once

#include <prometheus/collectable.h>

#include <atomic>
#include <cstdint>

namespace rad {

struct LinkTraffic {
  std::atomic<uint64_t> messages_sent{0}, bytes_sent{0}, messages_received{0},
      bytes_received{0};
};

// The process's counters (one node per process).
LinkTraffic& link_traffic();

// rad_link_{messages,bytes}_{sent,received}_total.
class LinkTrafficMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace rad
