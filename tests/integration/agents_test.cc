// Agents across hosts, with real rad-node processes, as a user sees them
// through runs (POST /v1/runs, placed by the coordinator's Dispatcher): runs
// spread over the workers, a cancel reaching the agents on every worker, and
// the graceful drain of a worker on SIGTERM.
//
// Covered elsewhere: refusals at a worker's agent limit
// (runs_test.cc, LimitedRuns.StoriesRefusedForTheAgentLimitWaitPendingAndNeverCountAsFailed),
// the agents of a worker killed -9 lost and run again elsewhere (runs_test.cc,
// ExecRuns.AWorkerKilledWhileRunningANonIdempotentStoryEndsItAndNeverRunsItAgain),
// and many agents' results crossing in batches (status_view_test.cc,
// StatusView.ABusyRunAnswersEveryPollAndNeverAnError).
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/support/runs.h"

namespace rad::test {
namespace {

using google::protobuf::util::TimeUtil;

class Agents : public RunsFixture {
 protected:
  // A coordinator and one worker, w1, both up.
  void start_two_nodes(const std::map<std::string, std::string>& w1_env = {}) {
    coordinator();
    start({"w1", "worker", w1_env});
    expect_log("coord", R"(view v\d+: 2 members \(2 up\))");
  }

  std::string node_id(const std::string& name) {
    return member(view_of("coord"), name).node().node_id();
  }

  // The one worker that runs `n` agents, once one does; empty if none does within 20 s.
  std::string worker_running(uint32_t n) {
    std::string found;
    eventually_true([&] {
      for (const char* w : {"w1", "w2"})
        if (agents_running(w) == n) found = w;
      return !found.empty();
    });
    return found;
  }

  // Each story of the run ended in `state` after one attempt, on node `id`,
  // its last error `error`.
  static void expect_each_story(const v1::RunStatus& s, v1::StoryState state, const std::string& id,
                                const std::string& error = "") {
    for (const auto& story : s.waves(0).stories()) {
      EXPECT_EQ(story.state(), state) << story.ShortDebugString();
      EXPECT_EQ(story.attempts(), 1u) << story.ShortDebugString();
      EXPECT_EQ(story.node_id(), id) << story.ShortDebugString();
      EXPECT_EQ(story.last_error(), error) << story.ShortDebugString();
    }
  }
};

// A run's wave travels as one batch; batches go round the workers. A cancel
// reaches every worker: each agent there stops and reports its story CANCELLED.
TEST_F(Agents, RunsAreSpreadOverTheWorkersAndCancelStopsEveryAgentOnEach) {
  start_three_nodes();
  auto a = submit(one_wave_plan("a", 20, R"("mock":{"durationMs":60000})"));
  auto b = submit(one_wave_plan("b", 20, R"("mock":{"durationMs":60000})"));
  ASSERT_TRUE(eventually_equal([&] { return agents_running("w1") + agents_running("w2"); }, 40u));
  EXPECT_EQ(agents_running("w1"), 20u);
  EXPECT_EQ(agents_running("w2"), 20u);

  for (const auto& run_id : {a, b}) ASSERT_EQ(radctl({"cancel", run_id}).exit_code, 0);
  for (const auto& run_id : {a, b}) {
    auto s = await_end(run_id);
    EXPECT_EQ(s.state(), v1::RUN_STATE_CANCELLED) << s.ShortDebugString();
    EXPECT_EQ(s.counts().total(), 20u);
    EXPECT_EQ(s.counts().cancelled(), 20u) << s.ShortDebugString();
  }
  // A run ends once each of its agents reported: none runs on.
  EXPECT_EQ(agents_running("w1"), 0u);
  EXPECT_EQ(agents_running("w2"), 0u);
}

TEST_F(Agents, SigtermDrainsRunningAgentsWhileNewWorkGoesElsewhereThenLeaves) {
  start_three_nodes();
  auto a = submit(one_wave_plan("a", 10, R"("mock":{"durationMs":2000})"));
  auto victim = worker_running(10);
  ASSERT_FALSE(victim.empty()) << "no worker runs the run's 10 agents";
  auto other = victim == "w1" ? "w2" : "w1";
  auto victim_id = node_id(victim), other_id = node_id(other);

  auto signalled = TimeUtil::GetCurrentTime();
  node(victim).signal(SIGTERM);
  expect_log(victim, "draining: taking no new agents");
  expect_log("coord", "member " + victim + " is now draining");
  auto c = await_end(submit(one_wave_plan("c", 10, R"("mock":{})")));
  EXPECT_EQ(c.state(), v1::RUN_STATE_SUCCEEDED) << c.ShortDebugString();
  expect_each_story(c, v1::STORY_STATE_SUCCEEDED, other_id);

  // The drained agents ran to their end on the victim, after the SIGTERM and
  // after the new run had ended elsewhere.
  auto s = await_end(a);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_EQ(s.counts().succeeded(), 10u);
  expect_each_story(s, v1::STORY_STATE_SUCCEEDED, victim_id);
  for (const auto& story : s.waves(0).stories()) {
    EXPECT_GT(story.finished_at(), signalled) << story.id() << " ended before the drain began";
    EXPECT_GT(story.finished_at(), c.finished_at()) << story.id();
  }
  expect_log(victim, "drained: every agent finished and reported");
  EXPECT_EQ(node(victim).wait_exit(), 0) << node(victim).err();
  expect_log("coord", "member " + victim + " is now left");
  EXPECT_EQ(member(view_of("coord"), victim).state(), v1::MEMBER_STATE_LEFT);
}

// A worker stopped before its agents finished (a second SIGTERM, or its drain
// deadline) loses them as a killed worker would: their attempts run again on
// the other worker, and do not count against the story (maxAttempts 1 here:
// a cancelled attempt would have ended each story DEAD).
class AgentsOfAStoppedWorker : public Agents {
 protected:
  // Both workers, with `env`; the run of 5 long stories on one of them.
  void start_run(const std::map<std::string, std::string>& env = {}) {
    coordinator();
    start({"w1", "worker", env});
    start({"w2", "worker", env});
    expect_log("coord", R"(view v\d+: 3 members \(3 up\))");
    run_ = submit(one_wave_plan("a", 5, R"("maxAttempts":1,"mock":{"durationMs":60000})"));
    victim_ = worker_running(5);
    ASSERT_FALSE(victim_.empty()) << "no worker runs the 5 agents";
    other_ = victim_ == "w1" ? "w2" : "w1";
  }

  void expect_placed_again_on_the_other() {
    EXPECT_EQ(node(victim_).wait_exit(), 0) << node(victim_).err();
    expect_log("coord", "member " + victim_ + " is now left");
    EXPECT_TRUE(eventually_equal([&] { return agents_running(other_); }, 5u));
    // Running again (attempt 2), their first attempt lost with the node: the
    // status shows it once that is durable.
    v1::RunStatus s;
    EXPECT_TRUE(eventually_true([&] {
      if (api_get(api(), "/v1/runs/" + run_, s)) return false;
      for (const auto& story : s.waves(0).stories())
        if (story.attempts() != 2 || story.last_error() != "node lost") return false;
      return true;
    })) << s.ShortDebugString();
    EXPECT_EQ(s.counts().dead(), 0u) << s.ShortDebugString();
  }

  std::string run_, victim_, other_;
};

TEST_F(AgentsOfAStoppedWorker, ASecondSigtermLosesWhatStillRunsAndItRunsAgainElsewhere) {
  start_run();
  node(victim_).signal(SIGTERM);
  expect_log(victim_, "draining: taking no new agents");
  node(victim_).signal(SIGTERM);
  expect_log(victim_, "SIGTERM received again: stopping the agents still running");
  expect_placed_again_on_the_other();
}

TEST_F(AgentsOfAStoppedWorker, ThePassedDrainDeadlineLosesWhatStillRunsAndItRunsAgainElsewhere) {
  start_run({{"RAD_AGENTS_DRAIN_TIMEOUT_MS", "300"}});
  node(victim_).signal(SIGTERM);
  expect_log(victim_, "drain deadline passed: stopping the agents still running");
  expect_placed_again_on_the_other();
}

}  // namespace
}  // namespace rad::test
