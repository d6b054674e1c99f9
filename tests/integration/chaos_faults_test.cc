// The faults a node injects into itself on POST /v1/chaos (faults/chaos.h),
// each against a real 3-node cluster: what the fault does, and that no story
// is lost or ends twice under it.
#include <gtest/gtest.h>

#include "client/prometheus_text.h"
#include "rad/v1/chaos.pb.h"
#include "tests/support/runs.h"

namespace rad::test {
namespace {

const std::map<std::string, std::string> kChaosOn{{"RAD_CHAOS_ENABLED", "true"}};

class ChaosFaults : public RunsFixture {
 protected:
  void SetUp() override {
    start({"coord", "coordinator", kChaosOn});
    start({"w1", "worker", kChaosOn});
    start({"w2", "worker", kChaosOn});
    // Every node holds the view: link faults name peers by it.
    for (const auto* n : {"coord", "w1", "w2"}) expect_log(n, kThreeUp);
  }

  std::string http(const std::string& node) { return cluster_.http(node); }

  // The node's ChaosAck.applied, or the error it answered.
  caf::expected<std::string> inject(const std::string& node, const std::string& command) {
    auto body = api_request("POST", http(node), "/v1/chaos", command);
    if (!body) return body.error();
    v1::ChaosAck ack;
    if (auto err = parse_answer(*body, "chaos", ack)) return err;
    EXPECT_EQ(ack.node(), node);
    return ack.applied();
  }

  void expect_applied(const std::string& node, const std::string& command) {
    auto applied = inject(node, command);
    ASSERT_TRUE(applied) << node << ": " << error_message(applied.error());
  }

  void clear(const std::string& node) {
    auto body = api_request("POST", http(node), "/v1/chaos/clear");
    ASSERT_TRUE(body) << error_message(body.error());
  }

  double metric(const std::string& node, const std::string& series) {
    return prometheus_samples(scrape(node))[series];
  }

  bool ready(const std::string& node) {
    return static_cast<bool>(api_request("GET", http(node), "/health/ready"));
  }

  // The run succeeded, every story exactly once in the store.
  void expect_every_story_once(const std::string& run_id, int stories,
                               std::chrono::milliseconds timeout = 30s) {
    auto s = await_end(run_id, timeout);
    EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
    EXPECT_EQ(s.counts().succeeded(), static_cast<uint32_t>(stories));
    auto ends = terminal_transitions("coord", run_id);
    EXPECT_EQ(ends.size(), static_cast<size_t>(stories));
    for (const auto& [story, count] : ends) EXPECT_EQ(count, 1) << story;
  }
};

class ChaosOff : public RunsFixture {};

TEST_F(ChaosOff, ChaosIsRefusedUnlessTheNodeEnablesIt) {
  coordinator();
  expect_log("coord", "ready: node coord");
  auto body = api_request("POST", api(), "/v1/chaos", R"({"killAgent":{"fraction":1}})");
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code(), static_cast<uint8_t>(Errc::invalid_input))
      << error_message(body.error());
  EXPECT_NE(error_message(body.error()).find("chaos is disabled on this node"), std::string::npos)
      << error_message(body.error());
}

TEST_F(ChaosFaults, CommandsANodeCannotTakeAreRefusedSayingWhy) {
  auto refused = [&](const std::string& node, const std::string& command, const std::string& why) {
    auto applied = inject(node, command);
    ASSERT_FALSE(applied) << *applied;
    EXPECT_NE(error_message(applied.error()).find(why), std::string::npos)
        << error_message(applied.error());
  };
  refused("coord", R"({"killAgent":{"fraction":1}})", "runs no agents");
  refused("w1", R"({"checkpointFailure":{"probability":1}})", "target the coordinator");
  refused("w1", R"({"link":{"to":{"nodeNames":["nobody"]},"dropProbability":1}})",
          "no node named 'nobody'");
  refused("w1", R"({"killNode":{}})", "process faults are radctl chaos run's");
  refused("w1", R"({"killAgent":)", "request body");
  refused("w1", R"({"killAgent":{"fraction":1.5}})",
          "command.kill_agent.fraction: 1.5 is not in [0, 1]");
  refused("w1", R"({"link":{"delayMs":"3600000"}})",
          "command.link.delay_ms + delay_jitter_ms: 3600000 is over 60000 ms");
}

TEST_F(ChaosFaults, KilledAgentsEndFailedAndTheirStoriesAreRetried) {
  auto run_id = submit(one_wave_plan("storm", 20, R"("mock":{"durationMs":1500})"));
  // A spawn batch goes to one worker: the one that runs agents is the victim.
  std::string victim;
  ASSERT_TRUE(eventually_true([&] {
    for (const auto* w : {"w1", "w2"})
      if (agents_running(w) > 0) victim = w;
    return !victim.empty();
  }));
  auto applied = inject(victim, R"({"killAgent":{"fraction":1},"seed":"7"})");
  ASSERT_TRUE(applied) << error_message(applied.error());
  int killed = std::stoi(applied->substr(std::string{"killed "}.size()));
  EXPECT_GT(killed, 0) << *applied;
  expect_every_story_once(run_id, 20);
  auto s = status(run_id);
  int retried = 0;
  for (const auto& story : s.waves(0).stories()) retried += story.attempts() > 1;
  EXPECT_GE(retried, killed) << s.ShortDebugString();
  EXPECT_GE(metric(victim, R"(agent_tasks_total{kind="mock",status="failed"})"), killed);
  EXPECT_EQ(metric(victim, "rad_chaos_agents_killed_total"), killed);
}

TEST_F(ChaosFaults, APartitionedWorkerIsDownAndRejoinsWhenHealedWithNoStoryLost) {
  auto run_id = submit(one_wave_plan("cut", 60, R"("mock":{"durationMs":300})"));
  expect_applied("w2", R"({"partition":{}})");
  expect_applied("coord", R"({"partition":{"from":{"nodeNames":["w2"]}}})");
  expect_applied("w1", R"({"partition":{"from":{"nodeNames":["w2"]}}})");
  expect_log("coord", "member w2 is now down");
  for (const auto& n : {"w2", "coord", "w1"}) clear(n);
  expect_log("coord", "member w2 is now up");
  expect_every_story_once(run_id, 60);
  EXPECT_TRUE(eventually_equal([&] { return member(view_of("coord"), "w2").state(); },
                               v1::MEMBER_STATE_UP));
}

TEST_F(ChaosFaults, DuplicatedAndDelayedEnvelopesChangeNoOutcome) {
  for (const auto& w : {"w1", "w2"})
    expect_applied(w, R"({"link":{"to":{"nodeNames":["coord"]},"duplicateProbability":1,)"
                      R"("delayMs":"20","delayJitterMs":"30"},"seed":"3"})");
  auto run_id = submit(one_wave_plan("echo", 200, R"("mock":{"durationMs":5})"));
  expect_every_story_once(run_id, 200);
  for (const auto* series : {"rad_chaos_link_duplicated_total", "rad_chaos_link_delayed_total"})
    EXPECT_GT(metric("w1", series) + metric("w2", series), 0) << series;
  EXPECT_EQ(metric("coord", "rad_chaos_link_duplicated_total"), 0)
      << "the coordinator's sends are not faulted";
}

TEST_F(ChaosFaults, FailingCheckpointWritesMakeTheCoordinatorUnreadyUntilTheyEnd) {
  auto run_id =
      submit(one_wave_plan("full", 30, R"("mock":{"durationMs":200})", R"("maxConcurrent":5,)"));
  expect_applied("coord",
                 R"({"checkpointFailure":{"probability":1,"diskFull":true},"durationMs":"2000"})");
  EXPECT_TRUE(eventually_true([&] { return !ready("coord"); }, 5s));
  EXPECT_TRUE(eventually_true([&] { return ready("coord"); }, 10s));
  EXPECT_GT(metric("coord", "rad_chaos_checkpoint_write_failures_total"), 0);
  expect_every_story_once(run_id, 30);
}

// Its Run actor retries a refused write every second; once the Checkpoint
// actor is gone, only the Supervisor stopping it lets the node stop.
TEST_F(ChaosFaults, ACoordinatorWhoseStoreFailsStillStopsAtOnceOnSigterm) {
  submit(one_wave_plan("stuck", 20, R"("mock":{"durationMs":500})", R"("maxConcurrent":2,)"));
  expect_applied("coord", R"({"checkpointFailure":{"probability":1}})");
  ASSERT_TRUE(eventually_true([&] { return !ready("coord"); }, 5s));
  node("coord").signal(SIGTERM);
  EXPECT_EQ(node("coord").wait_exit(10s), 0) << "the coordinator hangs on its way out";
}

TEST_F(ChaosFaults, PressureHoldsMemoryUntilCleared) {
  double before = metric("w1", "process_resident_memory_bytes");
  expect_applied("w1", R"({"pressure":{"memoryBytes":"268435456","cpuThreads":1}})");
  EXPECT_GE(metric("w1", "process_resident_memory_bytes"), before + 250e6);
  clear("w1");
  EXPECT_TRUE(eventually_true(
      [&] { return metric("w1", "process_resident_memory_bytes") < before + 100e6; }, 5s));
}

}  // namespace
}  // namespace rad::test
