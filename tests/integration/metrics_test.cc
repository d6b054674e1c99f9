// Every node's /metrics on its --metrics-port, after a real run on a 3-node
// cluster: the old system's names, the runtime's own, and what they add up to.
#include <gtest/gtest.h>

#include <regex>

#include "client/prometheus_text.h"
#include "tests/support/runs.h"

namespace rad::test {
namespace {

// The sum of every sample of `name` (any labels).
double sum_of(const std::map<std::string, double>& samples, const std::string& name) {
  double sum = 0;
  for (const auto& [key, value] : samples)
    if (key == name || key.rfind(name + "{", 0) == 0) sum += value;
  return sum;
}

class Metrics : public RunsFixture {
 protected:
  void SetUp() override { start_three_nodes(); }
};

TEST_F(Metrics, EveryNodeCountsItsAgentsAndTheirSumIsEveryFinishedAttempt) {
  auto run_id = submit(one_wave_plan("counted", 30, [](int i) {
    return R"("backoff":{"initialMs":10},"mock":{"durationMs":5,"failFirstAttempts":)" +
           std::to_string(i % 3 == 0 ? 1 : 0) + "}";
  }));
  auto s = await_end(run_id);
  ASSERT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  uint32_t attempts = 0;
  for (const auto& story : s.waves(0).stories()) attempts += story.attempts();
  EXPECT_EQ(attempts, 40u) << "10 stories failed once";

  double tasks = 0, failed = 0;
  for (const char* node : {"coord", "w1", "w2"}) {
    auto text = scrape(node);
    EXPECT_EQ(text.find(run_id), std::string::npos) << "no label names a run";
    auto m = prometheus_samples(text);
    tasks += sum_of(m, "agent_tasks_total");
    failed += m[R"(agent_tasks_total{kind="mock",status="failed"})"];
    EXPECT_EQ(m["active_agents"], 0) << node;
    EXPECT_EQ(m[R"(agent_task_duration_seconds_count{kind="mock"})"],
              sum_of(m, "agent_tasks_total"))
        << node << ": one duration per attempt";
    EXPECT_GT(m["process_resident_memory_bytes"], 0) << node;
    EXPECT_GT(m["process_open_fds"], 0) << node;
    EXPECT_GT(m["process_threads"], 0) << node;
    EXPECT_EQ(sum_of(m, "rad_build_info"), 1) << node;
    EXPECT_GT(m["rad_link_messages_sent_total"], 0) << node << ": heartbeats at least";
    EXPECT_GT(m["rad_link_bytes_received_total"], 0) << node;
    EXPECT_EQ(m[R"(rad_cluster_members{state="up"})"], 3) << node;
    EXPECT_TRUE(m.count(R"(resource_utilization_percent{resource_type="memory"})")) << node;
    EXPECT_GT(m["rad_monitor_memory_total_bytes"], 0) << node;
  }
  EXPECT_EQ(tasks, attempts) << "every finished attempt counted once, on the node that ran it";
  EXPECT_EQ(failed, 10);

  auto coord = prometheus_samples(scrape("coord"));
  EXPECT_EQ(coord[R"(rad_runs_total{state="succeeded"})"], 1);
  EXPECT_EQ(coord["rad_runs_active"], 0);
  EXPECT_EQ(sum_of(coord, "rad_stories"), 0) << "an ended run's stories leave the gauge";
  EXPECT_GT(coord["rad_checkpoint_write_seconds_count"], 0);
  EXPECT_EQ(coord["rad_checkpoint_batch_records_count"],
            coord["rad_checkpoint_write_seconds_count"])
      << "one size per group commit";
  EXPECT_GE(coord["rad_checkpoint_batch_records_sum"], coord["rad_checkpoint_batch_records_count"])
      << "a group commit writes a record at least";
  EXPECT_GT(coord["rad_checkpoint_store_bytes"], 0);
  EXPECT_TRUE(coord.count(R"(rad_heartbeat_age_seconds{peer="w1"})"));
  EXPECT_LT(coord[R"(rad_heartbeat_age_seconds{peer="w1"})"], 1.0);
  auto w1 = prometheus_samples(scrape("w1"));
  EXPECT_LT(w1[R"(rad_heartbeat_age_seconds{peer="coord"})"], 1.0);
  EXPECT_FALSE(w1.count("rad_runs_active")) << "runs are the coordinator's";
}

TEST_F(Metrics, StoriesOfARunGoingOnAreShownByState) {
  auto run_id =
      submit(one_wave_plan("long", 6, R"("mock":{"durationMs":60000})", R"("maxConcurrent":4,)"));
  ASSERT_TRUE(eventually_equal([&] { return agents_running("w1") + agents_running("w2"); }, 4u));
  auto coord = prometheus_samples(scrape("coord"));
  EXPECT_EQ(coord["rad_runs_active"], 1);
  EXPECT_EQ(coord[R"(rad_stories{state="scheduled"})"], 4);
  EXPECT_EQ(coord[R"(rad_stories{state="pending"})"], 2);
  auto w1 = prometheus_samples(scrape("w1")), w2 = prometheus_samples(scrape("w2"));
  EXPECT_EQ(w1["active_agents"] + w2["active_agents"], 4);
  radctl({"cancel", run_id});
  auto s = await_end(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_CANCELLED);
  coord = prometheus_samples(scrape("coord"));
  EXPECT_EQ(coord[R"(rad_runs_total{state="cancelled"})"], 1);
  EXPECT_EQ(sum_of(coord, "rad_stories"), 0);
}

}  // namespace
}  // namespace rad::test
