// Things due at a time, grouped by the millisecond they are due in: the
// AgentHost's one timer for its waiting mock agents. A bucket holds the many
// agents spawned within the same millisecond with the same duration, so an
// agent costs a slot here (a map node each would cost 48 bytes, a delayed
// message each ~200: issue [6]'s 2 KiB per idle agent).
//
//   DueBuckets<Agent> due;
//   auto where = due.add(now + duration, &agent);  // kept by the caller...
//   due.remove(where, &agent);                     // ...to forget it early
//   due.pop_due(now, [](Agent* a) { ... });       // each once, when due
//
// Every operation but pop_due is O(1) (add: O(log buckets)), whatever a
// bucket holds: a cancel removes 100,000 agents that were spawned in the same
// millisecond one by one, and a scan of the bucket per removal made that
// quadratic (seconds). A handle is the item's slot: remove() empties it, and
// the slots of a bucket are reused once the bucket is gone (popped, or every
// item of it removed).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace rad {

template <class T>
class DueBuckets {
 public:
  using Clock = std::chrono::steady_clock;
  // Where an item waits; none() once it was popped or removed. 4 bytes: an
  // idle agent keeps one.
  using Handle = uint32_t;

  static constexpr Handle none() { return UINT32_MAX; }

  // Due at `when`, rounded up to the millisecond: never early.
  Handle add(Clock::time_point when, T* item) {
    auto due = std::chrono::ceil<std::chrono::milliseconds>(when);
    auto bucket = buckets_.try_emplace(due).first;
    Handle where;
    if (!free_.empty()) {
      where = free_.back();
      free_.pop_back();
    } else {
      where = static_cast<Handle>(slots_.size());
      slots_.emplace_back();
    }
    slots_[where] = {item, bucket};
    bucket->second.slots.push_back(where);
    ++bucket->second.live;
    ++size_;
    return where;
  }

  // Forgets `item`, waiting at `where`; nothing when it is no longer there
  // (popped or removed already: a stale handle names another item or none).
  void remove(Handle where, T* item) {
    if (where >= slots_.size() || item == nullptr || slots_[where].item != item) return;
    auto bucket = slots_[where].bucket;
    slots_[where].item = nullptr;
    --size_;
    if (--bucket->second.live > 0) return;
    release(bucket->second.slots);
    buckets_.erase(bucket);
  }

  // When the earliest item is due.
  std::optional<Clock::time_point> next() const {
    if (buckets_.empty()) return std::nullopt;
    return buckets_.begin()->first;
  }

  // Items waiting.
  size_t size() const { return size_; }

  // Calls `f(item)` for every item due by `now`, and forgets it. `f` may add
  // and remove items.
  template <class F>
  void pop_due(Clock::time_point now, F f) {
    std::vector<T*> due;
    while (!buckets_.empty() && buckets_.begin()->first <= now) {
      auto& slots = buckets_.begin()->second.slots;
      for (Handle where : slots)
        if (T* item = slots_[where].item) due.push_back(item);
      release(slots);
      buckets_.erase(buckets_.begin());
    }
    size_ -= due.size();
    for (T* item : due) f(item);
  }

 private:
  struct Bucket {
    std::vector<Handle> slots;  // of its items, removed ones included
    size_t live = 0;            // items not removed
  };
  using Buckets = std::map<Clock::time_point, Bucket>;
  struct Slot {
    T* item = nullptr;  // none: free, or its item was removed
    typename Buckets::iterator bucket;
  };

  void release(std::vector<Handle>& slots) {
    for (Handle where : slots) {
      slots_[where] = {};
      free_.push_back(where);
    }
    slots.clear();
  }

  Buckets buckets_;
  std::vector<Slot> slots_;
  std::vector<Handle> free_;
  size_t size_ = 0;
};

}  // namespace rad
