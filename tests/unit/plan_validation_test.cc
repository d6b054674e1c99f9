// Plan validation: each problem found, with its path and reason.
#include "runtime/plan_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/error.h"
#include "runtime/proto_file.h"

namespace rad {
namespace {

v1::Plan parse(const std::string& json) {
  v1::Plan plan;
  auto err = parse_proto_text(json, FileFormat::json, "test", plan);
  EXPECT_FALSE(err) << error_message(err);
  return plan;
}

std::vector<std::string> lines(const v1::Plan& plan, const PlanLimits& limits = {}) {
  std::vector<std::string> out;
  for (const auto& p : validate_plan(plan, limits)) out.push_back(p.path + ": " + p.reason);
  return out;
}

using ::testing::ElementsAre;

TEST(PlanValidation, TheExamplePlanIsValid) {
  v1::Plan plan;
  ASSERT_FALSE(
      load_proto_file(std::string{RAD_SOURCE_DIR} + "/examples/demo-plan.json", 1 << 20, plan));
  EXPECT_TRUE(validate_plan(plan).empty()) << describe(validate_plan(plan));
}

TEST(PlanValidation, DependenciesOnTheSameAndEarlierWavesAreFine) {
  auto plan = parse(R"({"name":"p","waves":[
    {"name":"one","stories":[{"id":"a","mock":{}},{"id":"b","dependsOn":["a"],"mock":{}}]},
    {"name":"two","stories":[{"id":"c","dependsOn":["a","b"],"exec":{"argv":["true"]}}]}]})");
  EXPECT_TRUE(lines(plan).empty());
}

TEST(PlanValidation, DuplicateIdsNameBothPlaces) {
  auto plan = parse(R"({"name":"p","waves":[
    {"name":"one","stories":[{"id":"a","mock":{}}]},
    {"name":"two","stories":[{"id":"a","mock":{}}]}]})");
  EXPECT_THAT(
      lines(plan),
      ElementsAre("waves[1].stories[0].id: duplicate id 'a' (first at waves[0].stories[0])"));
}

TEST(PlanValidation, UnknownAndLaterWaveDependencies) {
  auto plan = parse(R"({"name":"p","waves":[
    {"name":"one","stories":[{"id":"a","dependsOn":["nope","b","a2"],"mock":{}},{"id":"a2","mock":{}}]},
    {"name":"two","stories":[{"id":"b","mock":{}}]}]})");
  EXPECT_THAT(lines(plan),
              ElementsAre("waves[0].stories[0].dependsOn[0]: unknown story 'nope'",
                          "waves[0].stories[0].dependsOn[1]: 'b' is in a later wave (waves[1]); "
                          "a story may depend on its own or earlier waves"));
}

TEST(PlanValidation, CyclesAreShownAsPaths) {
  auto plan = parse(R"({"name":"p","waves":[{"name":"one","stories":[
    {"id":"a","dependsOn":["b"],"mock":{}},
    {"id":"b","dependsOn":["c"],"mock":{}},
    {"id":"c","dependsOn":["a"],"mock":{}},
    {"id":"self","dependsOn":["self"],"mock":{}}]}]})");
  EXPECT_THAT(lines(plan),
              ElementsAre("waves[0].stories[0].dependsOn: dependency cycle: a -> b -> c -> a",
                          "waves[0].stories[3].dependsOn: dependency cycle: self -> self"));
}

TEST(PlanValidation, EmptyPlansWavesAndStoriesAreRefused) {
  EXPECT_THAT(lines(parse(R"({"waves":[]})")),
              ElementsAre("name: a plan needs a name", "waves: a plan needs at least one wave"));
  EXPECT_THAT(lines(parse(R"({"name":"p","waves":[{"name":"w"},{"stories":[{"mock":{}}]}]})")),
              ElementsAre("waves[0].stories: an empty wave: give it a story or remove it",
                          "waves[1].name: a wave needs a name",
                          "waves[1].stories[0].id: a story needs an id"));
}

TEST(PlanValidation, FieldsOutOfRange) {
  auto plan = parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"bad id!","mock":{"failureRate":1.5}},
    {"id":"b","maxAttempts":1000,"backoff":{"multiplier":0.5,"jitter":2},"exec":{"argv":[]}},
    {"id":"c","preconditions":[{"name":"x"}]}]}]})");
  EXPECT_THAT(
      lines(plan),
      ElementsAre(
          "waves[0].stories[0].id: id 'bad id!' must be 1-128 bytes of letters, digits, '.', '_' "
          "or '-'",
          "waves[0].stories[0].mock.failureRate: must be within [0, 1]",
          "waves[0].stories[1].maxAttempts: 1000 is more than 100",
          "waves[0].stories[1].backoff.multiplier: must be at least 1",
          "waves[0].stories[1].backoff.jitter: must be within [0, 1]",
          "waves[0].stories[1].exec.argv: a command needs argv, e.g. [\"make\", \"test\"]",
          "waves[0].stories[2].preconditions[0].argv: a command needs argv, e.g. [\"make\", "
          "\"test\"]",
          "waves[0].stories[2]: no driver: set one of mock, exec or llm"));
}

TEST(PlanValidation, SizeLimits) {
  v1::Plan plan;
  plan.set_name("big");
  auto* wave = plan.add_waves();
  wave->set_name("w");
  for (int i = 0; i < 11; ++i) {
    auto* s = wave->add_stories();
    s->set_id("s" + std::to_string(i));
    s->mutable_mock();
  }
  wave->mutable_stories(3)->set_description(std::string(2000, 'x'));
  PlanLimits limits;
  limits.max_story_bytes = 1000;
  auto bytes = std::to_string(wave->stories(3).ByteSizeLong());
  EXPECT_THAT(lines(plan, limits), ElementsAre("waves[0].stories[3]: story spec of " + bytes +
                                               " bytes, more than the limit of 1000"));
  limits.max_stories = 10;
  EXPECT_THAT(lines(plan, limits),
              ElementsAre("waves: 11 stories, more than the limit of 10; split the plan"));
}

TEST(PlanValidation, ProblemsAreCappedAndCounted) {
  v1::Plan plan;
  plan.set_name("p");
  auto* wave = plan.add_waves();
  wave->set_name("w");
  for (int i = 0; i < 150; ++i) wave->add_stories()->set_id("s" + std::to_string(i));
  auto problems = validate_plan(plan);
  ASSERT_EQ(problems.size(), 101u);
  EXPECT_EQ(problems.back().reason, "and 50 more problems");
  auto err = plan_error(plan, problems);
  EXPECT_EQ(exit_code_for(err), 2);
  EXPECT_EQ(
      error_message(err).rfind("plan 'p' has 101 problems: waves[0].stories[0]: no driver", 0), 0u)
      << error_message(err);
}

}  // namespace
}  // namespace rad
