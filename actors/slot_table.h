// Small ids for things another actor may name after they are gone: the
// AgentHost gives each mock agent the id of its attempt, and the agent names
// it in its one report (protocol/agent.h). An id is a slot and the slot's
// generation, so an id that outlived its item (a report that crossed a
// cancel) finds nothing, even once the slot holds another item.
//
//   SlotTable<Attempt> ids;
//   auto id = ids.add(&attempt);
//   if (Attempt* a = ids.find(id)) ...  // null once removed
//   ids.remove(id);
//
// An id of 0 names nothing: a default. Every operation is O(1). A slot costs 12 bytes and is reused
// once free: an idle agent keeps one (issue [8]'s 1.5 KB per idle agent).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rad {

template <class T>
class SlotTable {
 public:
  using Id = uint64_t;

  Id add(T* item) {
    uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    slots_[index].item = item;
    return id_of(index);
  }

  // The item `id` names; null once it was removed.
  T* find(Id id) const {
    auto index = static_cast<uint32_t>(id);
    if (index >= slots_.size() || slots_[index].generation != id >> 32) return nullptr;
    return slots_[index].item;
  }

  // Forgets the item `id` names; nothing when it is gone already.
  void remove(Id id) {
    if (!find(id)) return;
    auto index = static_cast<uint32_t>(id);
    slots_[index].item = nullptr;
    // Every id of the slot so far goes stale; 0 is skipped when it wraps.
    if (++slots_[index].generation == 0) slots_[index].generation = 1;
    free_.push_back(index);
  }

  // Items held.
  size_t size() const { return slots_.size() - free_.size(); }

 private:
  Id id_of(uint32_t index) const { return (Id{slots_[index].generation} << 32) | index; }

#pragma pack(push, 4)
  struct Slot {
    T* item = nullptr;
    uint32_t generation = 1;  // never 0, so that an id of 0 names nothing
  };
#pragma pack(pop)
  static_assert(sizeof(Slot) == 12);

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
};

}  // namespace rad
