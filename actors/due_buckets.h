// Things due at a time, grouped by the millisecond they are due in: the
// AgentHost's one timer for its waiting mock agents. A bucket holds the many
// agents spawned within the same millisecond with the same duration, so an
// agent costs a pointer here (a map node each would cost 48 bytes, a delayed
// message each ~200: issue [6]'s 2 KiB per idle agent).
//
//   DueBuckets<Agent> due;
//   auto where = due.add(now + duration, &agent);  // kept by the caller...
//   due.remove(where, &agent);                     // ...to forget it early
//   due.pop_due(now, [](Agent* a) { ... });       // each once, when due
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <vector>

namespace rad {

template <class T>
class DueBuckets {
 public:
  using Clock = std::chrono::steady_clock;
  using Buckets = std::map<Clock::time_point, std::vector<T*>>;
  // Where an item waits; none() once it was popped or removed.
  using Handle = typename Buckets::iterator;

  Handle none() { return buckets_.end(); }

  // Due at `when`, rounded up to the millisecond: never early.
  Handle add(Clock::time_point when, T* item) {
    auto bucket = std::chrono::ceil<std::chrono::milliseconds>(when);
    auto it = buckets_.try_emplace(bucket).first;
    it->second.push_back(item);
    return it;
  }

  void remove(Handle where, T* item) {
    if (where == none()) return;
    auto& items = where->second;
    auto it = std::find(items.begin(), items.end(), item);
    if (it != items.end()) {
      *it = items.back();
      items.pop_back();
    }
    if (items.empty()) buckets_.erase(where);
  }

  // When the earliest item is due.
  std::optional<Clock::time_point> next() const {
    if (buckets_.empty()) return std::nullopt;
    return buckets_.begin()->first;
  }

  // Calls `f(item)` for every item due by `now`, and forgets it.
  template <class F>
  void pop_due(Clock::time_point now, F f) {
    while (!buckets_.empty() && buckets_.begin()->first <= now) {
      auto items = std::move(buckets_.begin()->second);
      buckets_.erase(buckets_.begin());
      for (T* item : items) f(item);
    }
  }

 private:
  Buckets buckets_;
};

}  // namespace rad
