#include "faults/link_faults.h"

namespace rad {

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
  if (!active_.load(std::memory_order_relaxed)) return {};
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

}  // namespace rad
