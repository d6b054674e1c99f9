#include "actors/backoff.h"

#include <gtest/gtest.h>

namespace rad {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DefaultsDoubleFromOneSecondUpToThirtyWithoutJitterAtTheMiddle) {
  v1::Backoff b;  // all defaults; unit_random 0.5 is the unjittered delay
  EXPECT_EQ(backoff_delay(b, 1, 0.5), milliseconds{1000});
  EXPECT_EQ(backoff_delay(b, 2, 0.5), milliseconds{2000});
  EXPECT_EQ(backoff_delay(b, 5, 0.5), milliseconds{16000});
  EXPECT_EQ(backoff_delay(b, 6, 0.5), milliseconds{30000});
  EXPECT_EQ(backoff_delay(b, 1000, 0.5), milliseconds{30000});
}

TEST(Backoff, JitterSpreadsWithinItsFraction) {
  v1::Backoff b;
  b.set_initial_ms(100);
  b.set_jitter(0.5);
  EXPECT_EQ(backoff_delay(b, 1, 0.0), milliseconds{50});
  EXPECT_EQ(backoff_delay(b, 1, 0.999999), milliseconds{150});
  EXPECT_EQ(backoff_delay(b, 1, 0.25), milliseconds{75});
}

TEST(Backoff, PlanFieldsOverrideDefaults) {
  v1::Backoff b;
  b.set_initial_ms(10);
  b.set_max_ms(50);
  b.set_multiplier(3);
  EXPECT_EQ(backoff_delay(b, 1, 0.5), milliseconds{10});
  EXPECT_EQ(backoff_delay(b, 2, 0.5), milliseconds{30});
  EXPECT_EQ(backoff_delay(b, 3, 0.5), milliseconds{50});
}

TEST(Backoff, MaxAttemptsDefaultsToThree) {
  v1::Story s;
  EXPECT_EQ(max_attempts_of(s), 3u);
  s.set_max_attempts(1);
  EXPECT_EQ(max_attempts_of(s), 1u);
}

}  // namespace
}  // namespace rad
