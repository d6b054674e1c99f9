// Faults of the cluster link, injected by chaos (docs/CHAOS.md) where rad's
// envelopes leave a node: every message to another node goes through
// link_send() or link_request(), which drop, delay or duplicate it as the
// rules for its destination say. Nothing is faulted while no rule is set (one
// atomic load per message), and a message to an actor of this node never is.
//
//   LinkFaults::instance().set("*", {.drop = 1});   // cut this node off
//   link_send(self, peer_agent, proto(heartbeat)); // dropped
//   LinkFaults::instance().clear();                // healed
//
// A request that is dropped is never answered: the requester's timeout fires,
// as it would when the network loses it. One that is delayed reaches its
// receiver late, and the answer returns to the requester. Requests are never
// duplicated: a second answer would find no one waiting.
#pragma once

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/node_id.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <string>

namespace rad {

struct LinkFaultRule {
  double drop = 0;       // probability that a message is lost
  double duplicate = 0;  // probability that a one-way message arrives twice
  std::chrono::milliseconds delay{0};
  std::chrono::milliseconds jitter{0};  // added to delay, uniform in [0, jitter]
  // The rule ends by itself then; max(): when cleared.
  std::chrono::steady_clock::time_point until = std::chrono::steady_clock::time_point::max();
};

// What happens to one message.
struct LinkVerdict {
  bool drop = false;
  int copies = 1;
  std::chrono::milliseconds delay{0};
};

class LinkFaults {
 public:
  // The process's one table: a node is one process.
  static LinkFaults& instance();

  // Rules apply to messages for the node whose id (caf::to_string of its
  // caf::node_id) is `peer`, or for every other node with "*". A peer's own
  // rule wins over "*". Setting a peer's rule again replaces it.
  void set(const std::string& peer, LinkFaultRule rule);
  void clear();
  // Seeds the draws: the same seed and messages give the same verdicts.
  void seed(uint64_t seed);

  // Fast: false while no rule is set.
  bool active() const { return active_.load(std::memory_order_relaxed); }
  LinkVerdict decide(const caf::node_id& destination);

  // Messages dropped, delayed and duplicated so far (for the chaos report).
  struct Counts {
    uint64_t dropped = 0, delayed = 0, duplicated = 0;
  };
  Counts counts() const;

 private:
  mutable std::mutex mutex_;
  std::atomic<bool> active_{false};
  std::map<std::string, LinkFaultRule> rules_;
  std::mt19937_64 random_{1};
  Counts counts_;
};

// Stands in for a request's receiver: forwards it after `delay`, or, when
// `drop`, never (it stops after `lifetime`).
caf::behavior link_relay(caf::event_based_actor* self, caf::actor receiver,
                         std::chrono::milliseconds delay, bool drop,
                         std::chrono::milliseconds lifetime);

inline bool crosses_link(const caf::actor& receiver, const caf::node_id& local) {
  return receiver && receiver.node() != local;
}

// self->send(receiver, xs...), through the link's faults.
template <class Self, class... Ts>
void link_send(Self* self, const caf::actor& receiver, Ts&&... xs) {
  auto& faults = LinkFaults::instance();
  if (!faults.active() || !crosses_link(receiver, self->node())) {
    self->send(receiver, std::forward<Ts>(xs)...);
    return;
  }
  auto verdict = faults.decide(receiver.node());
  if (verdict.drop) return;
  for (int i = 0; i < verdict.copies; ++i) {
    if (verdict.delay.count() > 0)
      self->delayed_send(receiver, verdict.delay, xs...);
    else
      self->send(receiver, xs...);
  }
}

// self->request(receiver, timeout, xs...), through the link's faults.
template <class Self, class Timeout, class... Ts>
auto link_request(Self* self, const caf::actor& receiver, Timeout timeout, Ts&&... xs) {
  auto& faults = LinkFaults::instance();
  if (!faults.active() || !crosses_link(receiver, self->node()))
    return self->request(receiver, timeout, std::forward<Ts>(xs)...);
  auto verdict = faults.decide(receiver.node());
  if (!verdict.drop && verdict.delay.count() == 0)
    return self->request(receiver, timeout, std::forward<Ts>(xs)...);
  // Linked: the relay ends with its requester (a node that stops waits for it).
  auto lifetime = std::chrono::duration_cast<std::chrono::milliseconds>(timeout) + verdict.delay;
  auto relay = self->template spawn<caf::linked>(link_relay, receiver, verdict.delay, verdict.drop,
                                                 lifetime);
  return self->request(relay, timeout, std::forward<Ts>(xs)...);
}

}  // namespace rad
