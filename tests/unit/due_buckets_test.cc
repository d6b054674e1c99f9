// DueBuckets: the AgentHost's one timer for its mock agents. Removal does not
// scan a bucket (a cancel removes 100,000 agents due in the same millisecond:
// the integration test CancelAtScale measures it); here, that what is removed,
// and only that, is never popped.
#include "actors/due_buckets.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace rad {
namespace {

using Buckets = DueBuckets<int>;
using Clock = Buckets::Clock;

TEST(DueBuckets, RemovingMostOfOneMillisecondsBucketPopsOnlyTheRest) {
  constexpr int kItems = 50000;
  Buckets due;
  auto at = Clock::now() + std::chrono::seconds{1};
  std::vector<int> items(kItems);
  std::vector<Buckets::Handle> where(kItems);
  for (int i = 0; i < kItems; ++i) {
    items[i] = i;
    where[i] = due.add(at, &items[i]);
  }
  EXPECT_EQ(due.size(), static_cast<size_t>(kItems));
  // Every item but each 1,000th, in an order unlike the one they came in.
  for (int i = kItems - 1; i >= 0; --i)
    if (i % 1000 != 0) due.remove(where[i], &items[i]);
  EXPECT_EQ(due.size(), static_cast<size_t>(kItems / 1000));
  std::multiset<int> popped;
  due.pop_due(at + std::chrono::milliseconds{1}, [&](int* item) { popped.insert(*item); });
  EXPECT_EQ(popped.size(), static_cast<size_t>(kItems / 1000));
  for (int v : popped) EXPECT_EQ(v % 1000, 0) << v;
  EXPECT_EQ(due.size(), 0u);
  EXPECT_FALSE(due.next());
}

TEST(DueBuckets, ABucketWhoseItemsAreAllRemovedIsGone) {
  Buckets due;
  int a = 1, b = 2;
  auto now = Clock::now();
  auto ha = due.add(now + std::chrono::milliseconds{5}, &a);
  due.add(now + std::chrono::milliseconds{50}, &b);
  due.remove(ha, &a);
  ASSERT_TRUE(due.next());
  EXPECT_GE(*due.next(), now + std::chrono::milliseconds{50}) << "b's is the earliest left";
}

TEST(DueBuckets, AStaleHandleRemovesNothing) {
  Buckets due;
  int a = 1, b = 2;
  auto now = Clock::now();
  auto ha = due.add(now, &a);
  due.pop_due(now + std::chrono::milliseconds{1}, [](int*) {});
  auto hb = due.add(now + std::chrono::milliseconds{10}, &b);  // may reuse a's slot
  due.remove(ha, &a);
  due.remove(Buckets::none(), &b);
  EXPECT_EQ(due.size(), 1u);
  std::vector<int> popped;
  due.pop_due(now + std::chrono::milliseconds{20}, [&](int* item) { popped.push_back(*item); });
  EXPECT_EQ(popped, std::vector<int>{2});
  due.remove(hb, &b);  // popped already
  EXPECT_EQ(due.size(), 0u);
}

TEST(DueBuckets, ItemsArePoppedInTheOrderOfTheirMillisecondAndOnlyWhenDue) {
  Buckets due;
  int a = 1, b = 2, c = 3;
  auto now = Clock::now();
  due.add(now + std::chrono::milliseconds{30}, &c);
  due.add(now + std::chrono::milliseconds{10}, &a);
  due.add(now + std::chrono::milliseconds{20}, &b);
  std::vector<int> popped;
  due.pop_due(now + std::chrono::milliseconds{21}, [&](int* item) { popped.push_back(*item); });
  EXPECT_EQ(popped, (std::vector<int>{1, 2}));
  EXPECT_EQ(due.size(), 1u);
}

}  // namespace
}  // namespace rad
