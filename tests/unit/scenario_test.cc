#include "chaos/scenario.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/process.h"
#include "runtime/error.h"

namespace rad {
namespace {

TEST(Scenario, ValidScenarioLoadsFromJsonAndYaml) {
  TempDir dir;
  auto json = dir.file("s.json", R"({"name":"worker-kill-9","seed":42,"durationMs":30000,
    "faults":[{"id":"k","atMs":5000,"target":{"role":"worker","count":1},"killNode":{"restartAfterMs":2000}},
              {"link":{"dropProbability":0.1,"delayMs":20}}]})");
  auto scenario = load_scenario(json);
  ASSERT_TRUE(scenario) << error_message(scenario.error());
  EXPECT_EQ(scenario->seed(), 42u);
  EXPECT_EQ(scenario->faults(0).kill_node().restart_after_ms(), 2000u);
  auto yaml = dir.file("s.yaml", "name: x\nfaults:\n  - killAgent: {fraction: 0.5}\n");
  auto from_yaml = load_scenario(yaml);
  ASSERT_TRUE(from_yaml) << error_message(from_yaml.error());
  EXPECT_DOUBLE_EQ(from_yaml->faults(0).kill_agent().fraction(), 0.5);
}

TEST(Scenario, EveryProblemIsListedWithItsPath) {
  TempDir dir;
  auto path = dir.file("bad.json", R"({"name":"x","durationMs":1000,"faults":[
    {"id":"a","probability":1.5,"killAgent":{"fraction":2}},
    {"id":"a","atMs":1000},
    {"link":{"dropProbability":-0.1}}]})");
  auto scenario = load_scenario(path);
  ASSERT_FALSE(scenario);
  EXPECT_EQ(exit_code_for(scenario.error()), 2);
  EXPECT_EQ(error_message(scenario.error()),
            path +
                ": 6 problems: faults[0].probability: 1.5 is not in [0, 1]; "
                "faults[0].kill_agent.fraction: 2 is not in [0, 1]; "
                "faults[1].id: 'a' is used twice; "
                "faults[1].at_ms: 1000 is not before duration_ms 1000; "
                "faults[1]: no fault; set one of kill_agent, kill_node, restart_coordinator, link, "
                "partition, pressure, checkpoint_failure; "
                "faults[2].link.drop_probability: -0.1 is not in [0, 1]");
}

TEST(Scenario, LinkDelaysAndPressureAreBounded) {
  v1::ChaosScenario s;
  s.set_name("x");
  auto* slow = s.add_faults();
  slow->mutable_link()->set_delay_ms(50000);
  slow->mutable_link()->set_delay_jitter_ms(20000);
  auto* squeeze = s.add_faults();
  squeeze->mutable_pressure()->set_cpu_threads(1000);
  squeeze->mutable_pressure()->set_memory_bytes(uint64_t{1} << 40);
  EXPECT_THAT(scenario_problems(s),
              ::testing::ElementsAre(
                  "faults[0].link.delay_ms + delay_jitter_ms: 70000 is over 60000 ms",
                  "faults[1].pressure.cpu_threads: 1000 is over 64",
                  "faults[1].pressure.memory_bytes: 1099511627776 is over 8589934592 bytes"));
}

TEST(Scenario, EmptyScenarioIsRefused) {
  v1::ChaosScenario empty;
  auto problems = scenario_problems(empty);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "name: missing");
}

TEST(Scenario, TargetsMustBeNodesOfItsCluster) {
  TempDir dir;
  auto path = dir.file("t.json", R"({"name":"x","cluster":{"workers":2},"faults":[
    {"target":{"nodeNames":["w3"]},"killAgent":{"fraction":1}},
    {"target":{"role":"worker","count":3},"killNode":{}},
    {"target":{"role":"boss"},"pressure":{}},
    {"target":{"nodeNames":["coord"]},"killNode":{"restartAfterMs":1}},
    {"target":{"role":"worker"},"restartCoordinator":{}},
    {"link":{"to":{"nodeNames":["w9"]}}}]})");
  auto scenario = load_scenario(path);
  ASSERT_FALSE(scenario);
  auto message = error_message(scenario.error());
  EXPECT_NE(message.find("faults[0].target.node_names: no node 'w3' in the cluster; its nodes are "
                         "coord, w1, w2"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("faults[1].target.count: 3 but only 2 nodes match"), std::string::npos);
  EXPECT_NE(message.find("faults[2].target.role: 'boss' is not"), std::string::npos);
  EXPECT_NE(message.find("faults[3].target: kill_node of the coordinator; use restart_coordinator"),
            std::string::npos);
  EXPECT_NE(message.find("faults[4].target: restart_coordinator hits the coordinator only"),
            std::string::npos);
  EXPECT_NE(message.find("faults[5].link.to.node_names: no node 'w9'"), std::string::npos);
}

TEST(Scenario, TheClusterNamesItsNodes) {
  v1::ChaosScenario s;
  EXPECT_EQ(cluster_nodes(s), (std::vector<std::string>{"coord", "w1", "w2"}));
  s.mutable_cluster()->set_workers(3);
  EXPECT_EQ(cluster_nodes(s).back(), "w3");
}

}  // namespace
}  // namespace rad
