#include "chaos/schedule.h"

#include <gtest/gtest.h>

#include "chaos/scenario.h"
#include "chaos/workload.h"
#include "runtime/error.h"
#include "runtime/proto_file.h"

namespace rad {
namespace {

v1::ChaosScenario scenario(const std::string& json) {
  v1::ChaosScenario s;
  auto err = parse_proto_text(json, FileFormat::json, "test", s);
  EXPECT_FALSE(err) << error_message(err);
  EXPECT_TRUE(scenario_problems(s).empty()) << scenario_problems(s).front();
  return s;
}

std::vector<std::string> lines(const std::vector<Injection>& schedule) {
  std::vector<std::string> out;
  for (const auto& i : schedule) out.push_back(describe(i));
  return out;
}

const char* kStorm = R"({"name":"storm","durationMs":10000,"cluster":{"workers":4},"faults":[
  {"id":"late","atMs":5000,"target":{"role":"worker","count":2},"killNode":{"restartAfterMs":500}},
  {"id":"early","atMs":1000,"probability":0.5,"target":{"count":1},"killAgent":{"fraction":0.5}},
  {"id":"cut","atMs":2000,"durationMs":1000,"target":{"nodeNames":["w1"]},"partition":{}},
  {"id":"slow","atMs":3000,"target":{"role":"worker","count":1},"link":{"delayMs":20}},
  {"id":"coord","atMs":4000,"restartCoordinator":{}}]})";

TEST(Schedule, TheSameSeedGivesTheSameScheduleAndAnotherSeedAnother) {
  auto s = scenario(kStorm);
  auto a = make_schedule(s, 7), b = make_schedule(s, 7);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(lines(*a), lines(*b));
  // The nodes' own choices follow a seed drawn for each post.
  for (size_t i = 0; i < a->size(); ++i)
    for (size_t k = 0; k < (*a)[i].posts.size(); ++k)
      EXPECT_EQ((*a)[i].posts[k].command.seed(), (*b)[i].posts[k].command.seed());
  EXPECT_NE((*a)[1].posts[0].command.seed(), (*a)[1].posts[1].command.seed());
  bool differs = false;
  for (uint64_t seed = 8; seed < 20 && !differs; ++seed)
    differs = lines(*make_schedule(s, seed)) != lines(*a);
  EXPECT_TRUE(differs) << "twelve seeds all gave the schedule of seed 7";
}

TEST(Schedule, InjectionsAreInTimeOrderWithResolvedTargets) {
  auto schedule = make_schedule(scenario(kStorm), 42);
  ASSERT_TRUE(schedule) << error_message(schedule.error());
  ASSERT_EQ(schedule->size(), 5u);
  std::vector<std::string> ids;
  for (const auto& i : *schedule) ids.push_back(i.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"early", "cut", "slow", "coord", "late"}));
  const auto& late = schedule->back();
  ASSERT_EQ(late.nodes.size(), 2u);
  for (const auto& n : late.nodes) EXPECT_NE(n, kChaosCoordinator) << "a worker role picks workers";
  EXPECT_NE(late.nodes[0], late.nodes[1]);
  EXPECT_TRUE(late.posts.empty()) << "process faults are the runner's, not posted";
  EXPECT_EQ((*schedule)[3].nodes, std::vector<std::string>{kChaosCoordinator});
}

TEST(Schedule, APartitionIsPostedToBothSidesEachNamingTheOther) {
  auto schedule = make_schedule(scenario(kStorm), 1);
  ASSERT_TRUE(schedule);
  const auto& cut = (*schedule)[1];
  ASSERT_EQ(cut.id, "cut");
  ASSERT_EQ(cut.posts.size(), 5u);  // w1, and the four others
  EXPECT_EQ(cut.posts[0].node, "w1");
  EXPECT_EQ(cut.posts[0].command.partition().from().node_names_size(), 4);
  for (size_t k = 1; k < cut.posts.size(); ++k) {
    EXPECT_NE(cut.posts[k].node, "w1");
    ASSERT_EQ(cut.posts[k].command.partition().from().node_names_size(), 1);
    EXPECT_EQ(cut.posts[k].command.partition().from().node_names(0), "w1");
    EXPECT_FALSE(cut.posts[k].command.has_target()) << "a node acts on itself";
    EXPECT_EQ(cut.posts[k].command.duration_ms(), 1000u);
  }
}

TEST(Schedule, ALinkFaultNamesItsTargetsPeersButNeverItself) {
  auto schedule = make_schedule(scenario(kStorm), 3);
  ASSERT_TRUE(schedule);
  const auto& slow = (*schedule)[2];
  ASSERT_EQ(slow.posts.size(), 1u);
  const auto& to = slow.posts[0].command.link().to().node_names();
  EXPECT_EQ(to.size(), 4);
  for (const auto& n : to) EXPECT_NE(n, slow.posts[0].node);
}

TEST(Schedule, ProbabilityDrawsDecideWhatFiresAndAreListed) {
  auto s = scenario(R"({"name":"p","faults":[{"probability":0.5,"killAgent":{"fraction":1}}]})");
  int fired = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    auto schedule = make_schedule(s, seed);
    ASSERT_EQ(schedule->size(), 1u);
    const auto& i = schedule->front();
    EXPECT_EQ(i.fires, i.draw < 0.5);
    fired += i.fires;
  }
  EXPECT_GT(fired, 60);
  EXPECT_LT(fired, 140);
}

TEST(Schedule, TheFaultWindowIsTheDurationOrTheLastFaultsEnd) {
  auto s = scenario(R"({"name":"w","faults":[
    {"atMs":1000,"durationMs":3000,"pressure":{"cpuThreads":1}},
    {"atMs":2000,"killNode":{"restartAfterMs":500}}]})");
  EXPECT_EQ(fault_window_ms(s), 4000u);
  s.set_duration_ms(9000);
  EXPECT_EQ(fault_window_ms(s), 9000u);
}

TEST(Workload, ExecStoriesSleepAndCarryTheMarker) {
  v1::ChaosWorkload w;
  w.set_stories(10);
  w.set_exec(true);
  w.set_duration_ms(100);
  auto plan = make_workload(w, 5, "m-1");
  ASSERT_EQ(plan.waves_size(), 1);
  ASSERT_EQ(plan.waves(0).stories_size(), 10);
  for (const auto& s : plan.waves(0).stories()) {
    ASSERT_TRUE(s.has_exec());
    EXPECT_EQ(s.exec().argv(0), "sleep");
    EXPECT_EQ(s.exec().env().at(kChaosMarkerVariable), "m-1");
    EXPECT_EQ(s.max_attempts(), 5u);
  }
  EXPECT_EQ(make_workload(w, 5, "m-1").ShortDebugString(), plan.ShortDebugString());
  EXPECT_NE(make_workload(w, 6, "m-1").ShortDebugString(), plan.ShortDebugString());
}

TEST(Workload, MaxConcurrentLimitsEveryWave) {
  v1::ChaosWorkload w;
  w.set_waves(2);
  w.set_max_concurrent(30);
  auto plan = make_workload(w, 1, "m");
  ASSERT_EQ(plan.waves_size(), 2);
  for (const auto& wave : plan.waves()) EXPECT_EQ(wave.max_concurrent(), 30u);
}

TEST(Workload, DefaultsAreTwoHundredMocksInOneWave) {
  auto plan = make_workload({}, 1, "m");
  ASSERT_EQ(plan.waves_size(), 1);
  EXPECT_EQ(plan.waves(0).stories_size(), 200);
  EXPECT_TRUE(plan.waves(0).stories(0).has_mock());
}

}  // namespace
}  // namespace rad
