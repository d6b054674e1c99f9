// SlotTable: ids that go stale with their item, also once the slot is reused
// (a mock agent's report that crossed a cancel must not end another attempt).
#include "actors/slot_table.h"

#include <gtest/gtest.h>

#include <vector>

namespace rad {
namespace {

TEST(SlotTable, AnIdFindsItsItemUntilRemovedAndNeverTheNextItemOfItsSlot) {
  SlotTable<int> ids;
  int first = 1, second = 2;
  auto a = ids.add(&first);
  EXPECT_EQ(ids.find(a), &first);
  EXPECT_EQ(ids.find(0), nullptr);  // the default id, though slot 0 is taken
  ids.remove(a);
  EXPECT_EQ(ids.find(a), nullptr);
  auto b = ids.add(&second);  // reuses the slot
  EXPECT_EQ(static_cast<uint32_t>(b), static_cast<uint32_t>(a));
  EXPECT_NE(a, b);
  EXPECT_EQ(ids.find(a), nullptr);
  EXPECT_EQ(ids.find(b), &second);
  ids.remove(a);  // stale: b stays
  EXPECT_EQ(ids.find(b), &second);
  EXPECT_EQ(ids.size(), 1u);
}

TEST(SlotTable, ManyItemsEachFoundByItsOwnIdAndSlotsReusedAfterRemoval) {
  constexpr int kItems = 10000;
  SlotTable<int> ids;
  std::vector<int> items(kItems);
  std::vector<SlotTable<int>::Id> id(kItems);
  for (int i = 0; i < kItems; ++i) id[i] = ids.add(&items[i]);
  for (int i = 0; i < kItems; i += 2) ids.remove(id[i]);
  for (int i = 0; i < kItems; ++i) EXPECT_EQ(ids.find(id[i]), i % 2 ? &items[i] : nullptr);
  for (int i = 0; i < kItems; i += 2) id[i] = ids.add(&items[i]);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kItems));
  for (int i = 0; i < kItems; ++i) {
    EXPECT_EQ(ids.find(id[i]), &items[i]);
    EXPECT_LT(static_cast<uint32_t>(id[i]), static_cast<uint32_t>(kItems));  // no slot leaked
  }
  EXPECT_EQ(ids.find(~SlotTable<int>::Id{0}), nullptr);  // an id never given
}

}  // namespace
}  // namespace rad
