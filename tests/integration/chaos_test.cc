// radctl chaos run, the real binary: every shipped scenario at its small
// default scale ends with every invariant holding; --dry-run replays a seed's
// schedule exactly; a bad scenario file is refused with what to fix.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "chaos/netns_lab.h"
#include "harness/process.h"

namespace rad::test {
namespace {

const std::vector<std::string> kScenarios = {"agent-crash-storm",
                                             "worker-kill-9",
                                             "coordinator-kill-9-resume",
                                             "partition-heal",
                                             "slow-network",
                                             "disk-failure",
                                             "rolling-restart",
                                             "graceful-shutdown-under-load",
                                             "exec-storm"};

const std::set<std::string> kInvariants = {"every_story_terminal_once",
                                           "checkpoint_agrees",
                                           "no_orphan_processes",
                                           "restarts_within_policy",
                                           "drains_within_deadline",
                                           "metrics_agree",
                                           "faults_applied",
                                           "recoveries_completed"};

std::string scenario_path(const std::string& name) {
  return std::string{RAD_SOURCE_DIR} + "/chaos/scenarios/" + name + ".json";
}

RunResult radctl(std::vector<std::string> args, std::chrono::milliseconds timeout = 30s) {
  ProcessOptions o;
  o.argv = {binary("radctl")};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  return run(o, timeout);
}

class ShippedScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedScenario, EndsWithEveryInvariantHolding) {
  TempDir dir;
  auto report_path = dir.path() + "/report.json";
  auto r = radctl({"chaos", "run", scenario_path(GetParam()), "--report", report_path}, 110s);
  EXPECT_EQ(r.exit_code, 0) << r.out << "\n" << r.err;
  std::ifstream in{report_path};
  auto report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << "no JSON report\n" << r.out << r.err;
  EXPECT_EQ(report["scenario"], GetParam());
  std::set<std::string> seen;
  for (const auto& v : report["invariants"]) {
    seen.insert(v["name"].get<std::string>());
    EXPECT_TRUE(v["pass"].get<bool>()) << v["name"] << ": " << v["details"];
  }
  auto expected = kInvariants;
  if (GetParam() == "exec-storm") expected.insert("side_effects_once");
  EXPECT_EQ(seen, expected);
  EXPECT_TRUE(report["passed"].get<bool>());
  EXPECT_GT(report["faults"].size(), 0u);
  EXPECT_NE(r.err.find("stories"), std::string::npos) << "no live progress on stderr";
}

INSTANTIATE_TEST_SUITE_P(Chaos, ShippedScenario, ::testing::ValuesIn(kScenarios),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (auto& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

// A partition both ways, once as a cut of the network between namespaces
// (root only) and once at rad's envelope layer: each a real partition that
// declares the worker down and heals with every story once.
class PartitionMode : public ::testing::TestWithParam<std::string> {};

TEST_P(PartitionMode, PartitionHealHoldsEveryInvariant) {
  bool netns = GetParam() == "on";
  if (netns)
    if (auto why_not = NetnsLab::unavailable()) GTEST_SKIP() << *why_not;
  TempDir dir;
  auto report_path = dir.path() + "/report.json";
  auto r = radctl({"chaos", "run", scenario_path("partition-heal"), "--netns", GetParam(),
                   "--stories", "400", "--report", report_path},
                  110s);
  EXPECT_EQ(r.exit_code, 0) << r.out << "\n" << r.err;
  std::ifstream in{report_path};
  auto report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << r.out << r.err;
  EXPECT_EQ(report["partitions"], netns ? "network namespaces" : "rad's envelope layer");
  EXPECT_TRUE(report["passed"].get<bool>()) << r.out;
  std::string answers = report["faults"][0].dump();
  EXPECT_NE(answers.find(netns ? "link down in its network namespace" : "partitioned from"),
            std::string::npos)
      << answers;
}

INSTANTIATE_TEST_SUITE_P(Chaos, PartitionMode, ::testing::Values("on", "off"));

TEST(ChaosScenarios, EveryShippedFileIsRunAbove) {
  std::set<std::string> files;
  for (const auto& e :
       std::filesystem::directory_iterator{std::string{RAD_SOURCE_DIR} + "/chaos/scenarios"})
    files.insert(e.path().stem().string());
  EXPECT_EQ(files, std::set<std::string>(kScenarios.begin(), kScenarios.end()));
}

TEST(ChaosDryRun, TheSameSeedPrintsTheSameScheduleAndAnotherSeedAnother) {
  auto path = scenario_path("agent-crash-storm");
  auto a = radctl({"chaos", "run", path, "--seed", "5", "--dry-run"});
  auto b = radctl({"chaos", "run", path, "--seed", "5", "--dry-run"});
  auto c = radctl({"chaos", "run", path, "--seed", "6", "--dry-run"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(a.out.find("seed 5: 7 faults"), std::string::npos) << a.out;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
}

TEST(ChaosBadScenario, IsRefusedWithOneLineSayingWhatToFix) {
  TempDir dir;
  auto path = dir.file("bad.json", R"({"name":"bad","faults":[{"target":{"nodeNames":["w7"]},
    "killNode":{}}]})");
  auto r = radctl({"chaos", "run", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "radctl: " + path +
                       ": 1 problem: faults[0].target.node_names: no node 'w7' in the cluster; "
                       "its nodes are coord, w1, w2\n");
  auto missing = radctl({"chaos", "run", dir.path() + "/none.json"});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  auto no_node =
      radctl({"chaos", "run", scenario_path("worker-kill-9"), "--rad-node", "/nonexistent"});
  EXPECT_EQ(no_node.exit_code, 2);
  EXPECT_NE(no_node.err.find("no rad-node binary at /nonexistent"), std::string::npos)
      << no_node.err;
}

}  // namespace
}  // namespace rad::test
