#include "runtime/link_faults.h"

#include <caf/message_view.hpp>
#include <memory>

namespace rad {
namespace {

using relay_atom = caf::atom_constant<caf::atom("relay")>;

// The one request a relay holds until it forwards it.
struct Held {
  caf::response_promise promise;
  caf::message request;
  bool arrived = false;
  // The delay is over (the timer may fire before the request arrives).
  bool due = false;
};

}  // namespace

LinkFaults& LinkFaults::instance() {
  static LinkFaults faults;
  return faults;
}

void LinkFaults::set(const std::string& peer, LinkFaultRule rule) {
  std::lock_guard<std::mutex> guard{mutex_};
  rules_[peer] = rule;
  active_ = true;
}

void LinkFaults::clear() {
  std::lock_guard<std::mutex> guard{mutex_};
  rules_.clear();
  active_ = false;
}

void LinkFaults::seed(uint64_t seed) {
  std::lock_guard<std::mutex> guard{mutex_};
  random_.seed(seed);
}

LinkFaults::Counts LinkFaults::counts() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return counts_;
}

LinkVerdict LinkFaults::decide(const caf::node_id& destination) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto now = std::chrono::steady_clock::now();
  for (auto it = rules_.begin(); it != rules_.end();)
    it = it->second.until <= now ? rules_.erase(it) : std::next(it);
  active_ = !rules_.empty();
  auto rule = rules_.find(caf::to_string(destination));
  if (rule == rules_.end()) rule = rules_.find("*");
  LinkVerdict verdict;
  if (rule == rules_.end()) return verdict;
  const auto& r = rule->second;
  std::uniform_real_distribution<double> unit{0.0, 1.0};
  if (r.drop > 0 && unit(random_) < r.drop) {
    verdict.drop = true;
    ++counts_.dropped;
    return verdict;
  }
  if (r.duplicate > 0 && unit(random_) < r.duplicate) {
    verdict.copies = 2;
    ++counts_.duplicated;
  }
  verdict.delay = r.delay;
  if (r.jitter.count() > 0)
    verdict.delay += std::chrono::milliseconds{
        std::uniform_int_distribution<int64_t>{0, r.jitter.count()}(random_)};
  if (verdict.delay.count() > 0) ++counts_.delayed;
  return verdict;
}

caf::behavior link_relay(caf::event_based_actor* self, caf::actor receiver,
                         std::chrono::milliseconds delay, bool drop,
                         std::chrono::milliseconds lifetime) {
  auto held = std::make_shared<Held>();
  auto forward = [=] {
    held->promise.delegate(receiver, std::move(held->request));
    self->quit();
  };
  self->set_default_handler(
      [=](caf::scheduled_actor* s, caf::message_view& x) -> caf::result<caf::message> {
        held->promise = s->make_response_promise();
        held->request = x.move_content_to_message();
        held->arrived = true;
        if (held->due && !drop) forward();
        return caf::delegated<caf::message>{};
      });
  self->delayed_send(self, drop ? lifetime : delay, relay_atom::value);
  return {
      [=](relay_atom) {
        held->due = true;
        if (drop)
          self->quit();
        else if (held->arrived)
          forward();
      },
  };
}

}  // namespace rad
