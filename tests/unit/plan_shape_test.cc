// The plans of radctl load: the shape asked for, valid, and the same for the same seed.
#include "client/plan_shape.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>

#include "runtime/plan_validation.h"

namespace rad {
namespace {

TEST(PlanShape, SpreadsTheStoriesOverTheWavesWithDependenciesOnTheWaveBefore) {
  PlanShape shape;
  shape.stories = 10001;
  shape.waves = 4;
  shape.dependency_density = 0.5;
  shape.fan_out = 3;
  shape.duration_ms = 7;
  shape.distribution = v1::MockDriver::EXPONENTIAL;
  auto plan = make_plan(shape);
  EXPECT_TRUE(validate_plan(plan).empty());
  ASSERT_EQ(plan.waves_size(), 4);
  std::map<std::string, int> wave_of;
  int stories = 0, dependent = 0, later = 0;
  for (int w = 0; w < plan.waves_size(); ++w) {
    EXPECT_GE(plan.waves(w).stories_size(), 2500);
    EXPECT_LE(plan.waves(w).stories_size(), 2501);
    for (const auto& s : plan.waves(w).stories()) {
      ++stories;
      wave_of[s.id()] = w;
      EXPECT_EQ(s.mock().duration_ms(), 7u);
      EXPECT_EQ(s.mock().distribution(), v1::MockDriver::EXPONENTIAL);
      EXPECT_LE(s.depends_on_size(), 3);
      for (const auto& d : s.depends_on()) EXPECT_EQ(wave_of.at(d), w - 1) << s.id() << " on " << d;
      if (w > 0) {
        ++later;
        dependent += s.depends_on_size() > 0;
      } else {
        EXPECT_EQ(s.depends_on_size(), 0);
      }
    }
  }
  EXPECT_EQ(stories, 10001);
  EXPECT_NEAR(static_cast<double>(dependent) / later, 0.5, 0.05);
}

TEST(PlanShape, TheSameSeedMakesTheSamePlanAnotherOneAnother) {
  PlanShape shape;
  shape.stories = 1000;
  shape.waves = 3;
  shape.dependency_density = 0.7;
  auto a = make_plan(shape), b = make_plan(shape);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(a, b));
  shape.seed = 2;
  EXPECT_FALSE(google::protobuf::util::MessageDifferencer::Equals(a, make_plan(shape)));
}

}  // namespace
}  // namespace rad
