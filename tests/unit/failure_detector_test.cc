#include "actors/failure_detector.h"

#include <gtest/gtest.h>

namespace rad {
namespace {

using namespace std::chrono_literals;
using Clock = FailureDetector::Clock;
using State = FailureDetector::State;

class FailureDetectorTest : public ::testing::Test {
 protected:
  FailureDetector detector_{DetectorOptions{600ms, 6000ms, 3.0, 64}};
  Clock::time_point t0_ = Clock::now();

  // Heartbeats of `peer` every `every` from t0 for `count` beats; the last one's time.
  Clock::time_point beats(const std::string& peer, Clock::duration every, int count) {
    auto t = t0_;
    for (int i = 0; i < count; ++i) detector_.heard(peer, t += every);
    return t;
  }
};

TEST_F(FailureDetectorTest, AnIdlePeerIsSuspectThenDownAtItsDeadline) {
  detector_.watch("w", t0_);
  auto last = beats("w", 100ms, 20);
  EXPECT_TRUE(detector_.check(last + 299ms).empty());
  auto suspect = detector_.check(last + 300ms);
  ASSERT_EQ(suspect.size(), 1u);
  EXPECT_EQ(suspect[0].state, State::suspect);
  EXPECT_TRUE(detector_.check(last + 599ms).empty());
  auto down = detector_.check(last + 600ms);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].state, State::down);
  EXPECT_EQ(down[0].silent, 600ms);
  EXPECT_TRUE(detector_.check(last + 10s).empty()) << "down once";
  EXPECT_FALSE(detector_.heard("w", last + 11s)) << "a down peer must be watched anew";
  EXPECT_EQ(detector_.state("w"), State::down);
}

TEST_F(FailureDetectorTest, ASuspectPeerHeardAgainIsUp) {
  detector_.watch("w", t0_);
  auto last = beats("w", 100ms, 5);
  ASSERT_EQ(detector_.check(last + 400ms).size(), 1u);
  auto up = detector_.heard("w", last + 450ms);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->state, State::up);
  EXPECT_EQ(detector_.state("w"), State::up);
}

// Busy is not dead: a peer whose heartbeats came up to 400 ms apart gets
// three times that before it is down; an idle one keeps the floor.
TEST_F(FailureDetectorTest, TheDeadlineGrowsWithTheGapsSeenAndIsCapped) {
  detector_.watch("busy", t0_);
  detector_.watch("idle", t0_);
  beats("idle", 100ms, 10);
  auto t = t0_;
  for (auto gap : {100ms, 400ms, 150ms}) detector_.heard("busy", t += gap);
  EXPECT_EQ(detector_.deadline("idle"), 600ms);
  EXPECT_EQ(detector_.deadline("busy"), 1200ms);
  EXPECT_TRUE(detector_.check(t + 1199ms).size() <= 2u);
  EXPECT_EQ(detector_.state("busy"), State::suspect);
  auto later = detector_.check(t + 1200ms);
  ASSERT_FALSE(later.empty());
  EXPECT_EQ(detector_.state("busy"), State::down);

  detector_.watch("slow", t0_);
  detector_.heard("slow", t0_ + 5s);
  EXPECT_EQ(detector_.deadline("slow"), 6000ms) << "capped";
}

// Lifeguard: the time this node itself did not run is nobody's silence.
TEST_F(FailureDetectorTest, ThisNodesOwnLatenessIsExcused) {
  detector_.watch("w", t0_);
  auto last = beats("w", 100ms, 5);
  // This node stalled for 2 s: its timer ran that late.
  detector_.ran_late(2s, last + 2s);
  EXPECT_TRUE(detector_.check(last + 2s).empty());
  EXPECT_TRUE(detector_.check(last + 2s + 299ms).empty());
  auto down = detector_.check(last + 2s + 600ms);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].state, State::down);
}

TEST_F(FailureDetectorTest, ForgottenPeersAreNotJudged) {
  detector_.watch("w", t0_);
  detector_.forget("w");
  EXPECT_TRUE(detector_.check(t0_ + 10s).empty());
  EXPECT_FALSE(detector_.watching("w"));
}

}  // namespace
}  // namespace rad
