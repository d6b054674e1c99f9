// Faults of the cluster link (docs/CHAOS.md): rules that drop, delay or
// duplicate the envelopes this node sends to its peers. LinkFaults is a
// LinkHook (runtime/link_envelope.h): installed, it decides each message
// link_send() and link_request() send to another node; while no rule is set
// it lets each go as sent at the cost of one atomic load.
//
//   set_link_hook(&LinkFaults::instance());          // chaos.enabled
//   LinkFaults::instance().set("*", {.drop = 1});   // cut this node off
//   link_send(self, peer_agent, proto(heartbeat)); // dropped
//   LinkFaults::instance().clear();                // healed
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>

#include "runtime/link_envelope.h"

namespace rad {

struct LinkFaultRule {
  double drop = 0;       // probability that a message is lost
  double duplicate = 0;  // probability that a one-way message arrives twice
  std::chrono::milliseconds delay{0};
  std::chrono::milliseconds jitter{0};  // added to delay, uniform in [0, jitter]
  // The rule ends by itself then; max(): when cleared.
  std::chrono::steady_clock::time_point until = std::chrono::steady_clock::time_point::max();
};

class LinkFaults : public LinkHook {
 public:
  // The process's one table (a node is one process): it lives as long as the
  // process, as an installed LinkHook must.
  static LinkFaults& instance();

  // Rules apply to messages for the node whose id (caf::to_string of its
  // caf::node_id) is `peer`, or for every other node with "*". A peer's own
  // rule wins over "*". Setting a peer's rule again replaces it.
  void set(const std::string& peer, LinkFaultRule rule);
  void clear();
  // Seeds the draws: the same seed and messages give the same verdicts.
  void seed(uint64_t seed);

  // The rules' verdict; the default one, at once, while no rule is set.
  LinkVerdict decide(const caf::node_id& destination) override;

  // Messages dropped, delayed and duplicated so far (for the chaos report).
  struct Counts {
    uint64_t dropped = 0, delayed = 0, duplicated = 0;
  };
  Counts counts() const;

 private:
  LinkFaults() = default;
  mutable std::mutex mutex_;
  std::atomic<bool> active_{false};
  std::map<std::string, LinkFaultRule> rules_;
  std::mt19937_64 random_{1};
  Counts counts_;
};

}  // namespace rad
