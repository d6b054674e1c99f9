// Plans run end to end on a real 3-node cluster, through radctl and the
// coordinator's HTTP API: completion, retries, timeouts, cancel, node loss.
#include "tests/support/runs.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "client/prometheus_text.h"

namespace rad::test {
namespace {

class Runs : public RunsFixture {
 protected:
  // The environment of every node.
  virtual std::map<std::string, std::string> node_env() { return {}; }

  void SetUp() override {
    start({"coord", "coordinator", node_env()});
    start({"w1", "worker", node_env()});
    start({"w2", "worker", node_env()});
    expect_log("coord", kThreeUp);
  }
};

TEST_F(Runs, TheExamplePlanCompletesWithWaitAndExitsZero) {
  auto r = radctl({"submit", std::string{RAD_SOURCE_DIR} + "/examples/demo-plan.json", "--wait"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto run_id = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(r.out, run_id + "\n") << "stdout is the run id alone";
  EXPECT_NE(r.err.find("run " + run_id + " succeeded"), std::string::npos) << r.err;
  auto s = status(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED);
  EXPECT_EQ(s.counts().succeeded(), s.counts().total());
  expect_all_terminal(s);
  auto listed = radctl({"runs"});
  EXPECT_NE(listed.out.find(run_id), std::string::npos);
}

TEST_F(Runs, EveryTransitionIsInTheCheckpointStore) {
  auto run_id = submit(R"({"name":"stored","waves":[{"name":"w","stories":[
    {"id":"a","mock":{}},{"id":"b","backoff":{"initialMs":20},"mock":{"failFirstAttempts":1}}]}]})");
  ASSERT_EQ(await_end(run_id).state(), v1::RUN_STATE_SUCCEEDED);
  // radctl reads the store while the coordinator runs...
  auto exported = radctl({"checkpoint", "--data-dir", dir_.path() + "/coord", "export", run_id});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  v1::RunExport export_;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(exported.out, &export_).ok());
  EXPECT_EQ(export_.run().run_id(), run_id);
  EXPECT_EQ(export_.plan().name(), "stored");
  EXPECT_EQ(export_.stories_size(), 2);
  EXPECT_EQ(export_.events_size(), 7) << "a: 2 steps, b: 5";
  EXPECT_EQ(
      radctl({"checkpoint", "--data-dir", dir_.path() + "/coord", "export", "nope"}).exit_code, 2);
  auto dry = radctl({"compact", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("compaction (dry run): "), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("0 finished runs pruned"), std::string::npos) << "retention keeps 100";
  // A copy taken while the coordinator runs opens like the store itself.
  auto backup = radctl({"backup"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  auto backup_path = backup.out.substr(0, backup.out.find('\n'));
  EXPECT_EQ(backup_path.rfind(dir_.path() + "/coord/backups/checkpoint-", 0), 0u) << backup_path;
  EXPECT_NE(backup.err.find("to restore, stop the coordinator"), std::string::npos) << backup.err;
  {
    auto copy = Store::open_read_only(backup_path);
    ASSERT_TRUE(copy) << error_message(copy.error());
    auto copied = (*copy)->run(run_id);
    ASSERT_TRUE(copied) << error_message(copied.error());
    EXPECT_EQ(copied->state(), v1::RUN_STATE_SUCCEEDED);
    int stories = 0;
    ASSERT_FALSE((*copy)->for_each_story(run_id, [&](const v1::StoryStatus& s) {
      stories += s.id() == "b";
      return true;
    }));
    EXPECT_EQ(stories, 1);
  }
  node("coord").signal(SIGTERM);
  ASSERT_EQ(node("coord").wait_exit(), 0);
  auto verified = radctl({"checkpoint", "--data-dir", dir_.path() + "/coord", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("checkpoint store is sound"), std::string::npos);
  auto store = Store::open({dir_.path() + "/coord/checkpoint", SyncMode::batch});
  ASSERT_TRUE(store) << error_message(store.error());
  auto run = (*store)->run(run_id);
  ASSERT_TRUE(run) << error_message(run.error());
  EXPECT_EQ(run->state(), v1::RUN_STATE_SUCCEEDED);
  EXPECT_EQ(run->counts().succeeded(), 2u);
  auto plan = (*store)->plan(run_id);
  ASSERT_TRUE(plan) << error_message(plan.error());
  EXPECT_EQ(plan->name(), "stored");
  EXPECT_EQ(plan->waves(0).stories_size(), 2);
  int runs = 0;
  ASSERT_FALSE((*store)->for_each_run([&](const v1::RunStatus& r) {
    runs += r.run_id() == run_id;
    return true;
  }));
  EXPECT_EQ(runs, 1);
  std::map<std::string, v1::StoryState> ended;
  ASSERT_FALSE((*store)->for_each_story(run_id, [&](const v1::StoryStatus& s) {
    EXPECT_TRUE(ended.emplace(s.id(), s.state()).second) << s.id() << " stored twice";
    return true;
  }));
  EXPECT_EQ(ended, (std::map<std::string, v1::StoryState>{{"a", v1::STORY_STATE_SUCCEEDED},
                                                          {"b", v1::STORY_STATE_SUCCEEDED}}));
  std::vector<std::string> steps;
  uint64_t last_seq = 0;
  ASSERT_FALSE((*store)->for_each_event(run_id, [&](const v1::StoryTransition& t) {
    EXPECT_GT(t.seq(), last_seq);
    last_seq = t.seq();
    if (t.story_id() == "b")
      steps.push_back(v1::StoryState_Name(t.to()) + "#" + std::to_string(t.attempt()));
    return true;
  }));
  EXPECT_EQ(steps, (std::vector<std::string>{"STORY_STATE_SCHEDULED#1", "STORY_STATE_FAILED#1",
                                             "STORY_STATE_PENDING#1", "STORY_STATE_SCHEDULED#2",
                                             "STORY_STATE_SUCCEEDED#2"}));
}

// The agents outlive the coordinator: the restarted one adopts them (or takes
// the results they kept) instead of running their stories again.
TEST_F(Runs, AKilledCoordinatorResumesItsRunAdoptsRunningAgentsAndEveryStoryEndsOnce) {
  auto run_id = submit(
      one_wave_plan("resumed", 40, R"("mock":{"durationMs":1500})", R"("maxConcurrent":10,)"));
  ASSERT_TRUE(eventually_equal([&] { return agents_running("w1") + agents_running("w2"); }, 10));
  node("coord").signal(SIGKILL);
  ASSERT_EQ(node("coord").wait_exit(), 128 + SIGKILL);

  start({"coord", "coordinator"});  // same ports, same data dir
  expect_log("coord", "resuming run " + run_id + " of plan 'resumed': 0 of 40 stories had ended");
  // Adopted if still running, delivered if they ended before their node rejoined.
  expect_log("coord",
             "node \\S+ runs \\d+ attempts and kept \\d+ results: ([1-9]\\d* adopted|"
             "\\d+ adopted, [1-9]\\d* delivered)");
  expect_log("coord", "adoption over \\(every node of the last view answered\\)");
  auto s = await_end(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_EQ(s.counts().succeeded(), 40u);
  expect_all_terminal(s);
  for (const auto& story : s.waves(0).stories())
    EXPECT_EQ(story.attempts(), 1u) << story.id() << " was attempted again";

  node("coord").signal(SIGTERM);
  ASSERT_EQ(node("coord").wait_exit(), 0);
  auto ends = terminal_transitions("coord", run_id);
  EXPECT_EQ(ends.size(), 40u) << "every story ended";
  for (const auto& [story, n] : ends) EXPECT_EQ(n, 1) << story << " ended " << n << " times";
}

// A restarted coordinator is not ready while it waits for a node of its last
// view to report its agents; the window passes and what that node ran is
// placed again.
TEST_F(Runs, ARestartedCoordinatorIsNotReadyWhileItRecoversItsAgents) {
  auto run_id = submit(one_wave_plan("recovering", 8, R"("mock":{"durationMs":1000})"));
  ASSERT_TRUE(eventually_equal([&] { return agents_running("w1") + agents_running("w2"); }, 8u));
  // The coordinator first: it must not see w2 go (its last view keeps w2).
  node("coord").signal(SIGKILL);
  ASSERT_EQ(node("coord").wait_exit(), 128 + SIGKILL);
  node("w2").signal(SIGKILL);
  start({"coord", "coordinator", {{"RAD_CHECKPOINT_ADOPT_WINDOW_MS", "2000"}}});
  expect_log("coord", "ready: node");
  auto not_ready = api_request("GET", api(), "/health/ready");
  ASSERT_FALSE(not_ready) << "w2 has not reported";
  EXPECT_NE(error_message(not_ready.error())
                .find("nodes of the last view have yet to report their agents"),
            std::string::npos)
      << error_message(not_ready.error());
  expect_log("coord", "adoption over \\(the adoption window passed\\)");
  EXPECT_TRUE(api_request("GET", api(), "/health/ready"));
  auto s = await_end(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  expect_all_terminal(s);
}

TEST_F(Runs, AStoryThatFailsTwiceThenSucceedsIsRetriedWithBackoff) {
  auto run_id = submit(R"({"name":"flaky","waves":[{"name":"w","stories":[
    {"id":"flaky","backoff":{"initialMs":50},"mock":{"failFirstAttempts":2}}]}]})");
  auto s = await_end(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  ASSERT_EQ(s.waves(0).stories_size(), 1);
  EXPECT_EQ(s.waves(0).stories(0).attempts(), 3u);
  EXPECT_EQ(s.waves(0).stories(0).state(), v1::STORY_STATE_SUCCEEDED);
}

TEST_F(Runs, CrashedAgentsAreFailedAttemptsRetriedByPolicy) {
  auto run_id = submit(R"({"name":"crashy","waves":[{"name":"w","continueOnError":true,"stories":[
    {"id":"recovers","backoff":{"initialMs":20},"mock":{"crashFirstAttempts":2}},
    {"id":"gives-up","maxAttempts":2,"backoff":{"initialMs":20},"mock":{"crashFirstAttempts":5}},
    {"id":"bystander","mock":{"durationMs":50}}]}]})");
  auto s = await_end(run_id);
  expect_all_terminal(s);
  std::map<std::string, v1::StoryStatus> by_id;
  for (const auto& story : s.waves(0).stories()) by_id[story.id()] = story;
  EXPECT_EQ(by_id["recovers"].state(), v1::STORY_STATE_SUCCEEDED);
  EXPECT_EQ(by_id["recovers"].attempts(), 3u);
  EXPECT_EQ(by_id["gives-up"].state(), v1::STORY_STATE_DEAD);
  EXPECT_NE(by_id["gives-up"].last_error().find("agent crashed: "), std::string::npos)
      << by_id["gives-up"].last_error();
  EXPECT_NE(by_id["gives-up"].last_error().find("(attempt 2 of 2)"), std::string::npos);
  EXPECT_EQ(by_id["bystander"].state(), v1::STORY_STATE_SUCCEEDED) << "a crash touches no other";
}

TEST_F(Runs, ATimedOutStoryIsDeadAndTheRunFailsWithExitOne) {
  auto path = dir_.file("slow.json", R"({"name":"slow","waves":[{"name":"w","stories":[
    {"id":"slow","timeoutMs":100,"maxAttempts":1,"mock":{"durationMs":60000}}]},
    {"name":"after","stories":[{"id":"never","mock":{}}]}]})");
  auto r = radctl({"submit", path, "--wait"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto run_id = r.out.substr(0, r.out.find('\n'));
  auto s = status(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_FAILED);
  EXPECT_EQ(s.error(), "wave 'w': 1 story dead");
  EXPECT_EQ(s.waves(0).stories(0).state(), v1::STORY_STATE_DEAD);
  EXPECT_NE(s.waves(0).stories(0).last_error().find("timed out after 100 ms"), std::string::npos);
  EXPECT_EQ(s.waves(1).stories(0).state(), v1::STORY_STATE_CANCELLED);
  expect_all_terminal(s);
}

TEST_F(Runs, CancelStopsPendingAndRunningStoriesOnEveryNode) {
  auto run_id = submit(R"({"name":"long","waves":[{"name":"w","stories":[
    {"id":"a","mock":{"durationMs":60000}},{"id":"b","mock":{"durationMs":60000}},
    {"id":"c","mock":{"durationMs":60000}},{"id":"d","dependsOn":["a"],"mock":{}}]}]})");
  auto c = radctl({"cancel", run_id});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto s = await_end(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_CANCELLED) << s.ShortDebugString();
  EXPECT_EQ(s.counts().cancelled(), 4u);
  expect_all_terminal(s);
  EXPECT_EQ(radctl({"cancel", "run-nope"}).exit_code, 2);
  EXPECT_EQ(radctl({"status", "run-nope"}).exit_code, 2);
}

TEST_F(Runs, AnInvalidPlanIsRefusedWithEveryProblemAndExitTwo) {
  auto path = dir_.file("bad.json", R"({"name":"bad","waves":[{"name":"w","stories":[
    {"id":"a","dependsOn":["a"],"mock":{}},{"id":"b","dependsOn":["zz"],"mock":{}}]}]})");
  auto r = radctl({"submit", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("dependency cycle: a -> a"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown story 'zz'"), std::string::npos) << r.err;
  // The API says the same to any client.
  auto answer = api_request("POST", api(), "/v1/runs", R"({"name":"","waves":[]})");
  ASSERT_FALSE(answer);
  EXPECT_TRUE(is(answer.error(), Errc::invalid_input));
  EXPECT_NE(error_message(answer.error()).find("a plan needs a name"), std::string::npos);
}

TEST_F(Runs, AKilledWorkerMidRunLeavesEveryStoryTerminalExactlyOnce) {
  auto run_id = submit(one_wave_plan("loss", 60, R"("mock":{"durationMs":400})"));
  expect_log("coord", "run " + run_id + " of plan 'loss' started");
  node("w2").signal(SIGKILL);
  expect_log("coord", "member w2 is now down");
  auto s = await_end(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_EQ(s.counts().succeeded(), 60u);
  expect_all_terminal(s);
}

// w1's Monitor refuses new agents (memory use is always above 1%).
class AdmissionRuns : public Runs {
 protected:
  void SetUp() override {
    start({"coord", "coordinator"});
    start({"w1", "worker", {{"RAD_MONITOR_MAX_MEMORY_PERCENT", "1"}}});
    start({"w2"});
    expect_log("coord", kThreeUp);
  }
};

TEST_F(AdmissionRuns, NothingIsPlacedOnANodeWhoseMonitorRefuses) {
  expect_log("w1", "refusing new agents: memory .* >= 1%");
  v1::Member w1;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!(w1 = member(view_of("coord"), "w1")).has_stats() || w1.stats().admits())
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "w1's verdict never reached the view";
  EXPECT_NE(w1.stats().refusal().find("memory"), std::string::npos);
  EXPECT_GT(w1.stats().memory_total_bytes(), 0u);

  // Four waves: their batches go round the nodes that take agents.
  std::string waves;
  for (int w = 0; w < 4; ++w) {
    waves += std::string{w ? "," : ""} + R"({"name":"w)" + std::to_string(w) + R"(","stories":[)";
    for (int i = 0; i < 5; ++i)
      waves +=
          std::string{i ? "," : ""} + R"({"id":"s)" + std::to_string(w * 5 + i) + R"(","mock":{}})";
    waves += "]}";
  }
  auto s = await_end(submit(R"({"name":"placed","waves":[)" + waves + "]}"));
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED);
  auto w2_id = member(view_of("coord"), "w2").node().node_id();
  for (const auto& wave : s.waves())
    for (const auto& story : wave.stories())
      EXPECT_EQ(story.node_id(), w2_id) << story.id() << " ran elsewhere";
}

// Every worker runs one agent at most: what else is placed is refused.
class LimitedRuns : public Runs {
 protected:
  std::map<std::string, std::string> node_env() override { return {{"RAD_MAX_AGENTS", "1"}}; }
};

TEST_F(LimitedRuns, StoriesRefusedForTheAgentLimitWaitPendingAndNeverCountAsFailed) {
  // maxAttempts 1: a refusal that spent an attempt, or failed one, would kill the story.
  auto run_id =
      submit(one_wave_plan("limited", 4, R"("maxAttempts":1,"mock":{"durationMs":60000})"));
  ASSERT_TRUE(eventually_equal([&] { return agents_running("w1") + agents_running("w2"); }, 2u));
  auto waiting = [&](const v1::RunStatus& s) {
    int n = 0;
    for (const auto& story : s.waves(0).stories())
      n += story.state() == v1::STORY_STATE_PENDING &&
           story.last_error() == "waiting: agent limit 1 reached" && story.attempts() == 0;
    return n;
  };
  ASSERT_TRUE(eventually_true([&] { return waiting(status(run_id)) == 2; }))
      << status(run_id).ShortDebugString();
  // Each waiting story is PENDING, or SCHEDULED for the moment its placement
  // is tried again; never FAILED, nor DEAD.
  for (int i = 0; i < 5; ++i) {
    auto s = status(run_id);
    EXPECT_EQ(s.counts().failed(), 0u) << s.ShortDebugString();
    EXPECT_EQ(s.counts().dead(), 0u);
    EXPECT_EQ(s.counts().pending() + s.counts().scheduled(), 4u);
    auto coord = prometheus_samples(scrape("coord"));
    EXPECT_EQ(coord[R"(rad_stories{state="failed"})"], 0);
    EXPECT_EQ(coord[R"(rad_stories{state="pending"})"] + coord[R"(rad_stories{state="scheduled"})"],
              4);
  }
  std::string shown;
  EXPECT_TRUE(eventually_true([&] {
    shown = radctl({"status", run_id}).out;
    return shown.find("w [running]: 0/4 succeeded, 2 running, 2 pending\n") != std::string::npos;
  })) << shown;

  ASSERT_EQ(radctl({"cancel", run_id}).exit_code, 0);
  EXPECT_EQ(await_end(run_id).state(), v1::RUN_STATE_CANCELLED);
  // The store: no FAILED transition, and one waiting one per refused story
  // however many times it was refused (every 200 ms): the two still waiting,
  // and any refused before a node took it.
  std::map<std::string, int> waits;
  int failed = 0;
  auto store = Store::open_read_only(dir_.path() + "/coord/checkpoint");
  ASSERT_TRUE(store) << error_message(store.error());
  EXPECT_FALSE((*store)->for_each_event(run_id, [&](const v1::StoryTransition& t) {
    failed += t.to() == v1::STORY_STATE_FAILED;
    if (t.to() == v1::STORY_STATE_PENDING && t.reason().rfind("waiting: ", 0) == 0)
      ++waits[t.story_id()];
    return true;
  }));
  EXPECT_EQ(failed, 0);
  EXPECT_GE(waits.size(), 2u);
  for (const auto& [id, n] : waits) EXPECT_EQ(n, 1) << id;
}

// agents.use_real: exec stories run their commands.
class ExecRuns : public Runs {
 protected:
  std::map<std::string, std::string> node_env() override {
    return {{"RAD_USE_REAL_AGENTS", "true"}};
  }
};

TEST_F(ExecRuns, CommandsAndTheirChecksDecideTheOutcome) {
  auto marker = dir_.path() + "/made-by-story";
  auto run_id = submit(R"({"name":"exec","waves":[{"name":"w","continueOnError":true,"stories":[
    {"id":"ok","exec":{"argv":["touch",")" +
                       marker + R"("]},
     "postconditions":[{"name":"marker exists","argv":["test","-e",")" +
                       marker + R"("]}]},
    {"id":"exit3","maxAttempts":1,"exec":{"argv":["sh","-c","echo out; exit 3"]}},
    {"id":"pre","maxAttempts":1,"preconditions":[{"name":"never","argv":["false"]}],
     "exec":{"argv":["true"]}},
    {"id":"post","maxAttempts":1,"postconditions":[{"argv":["test","-e","/nonexistent"]}],
     "exec":{"argv":["true"]}},
    {"id":"slow","maxAttempts":1,"timeoutMs":200,"exec":{"argv":["sleep","30"]}}]}]})");
  auto s = await_end(run_id);
  expect_all_terminal(s);
  std::map<std::string, v1::StoryStatus> by_id;
  for (const auto& story : s.waves(0).stories()) by_id[story.id()] = story;
  EXPECT_EQ(by_id["ok"].state(), v1::STORY_STATE_SUCCEEDED) << by_id["ok"].ShortDebugString();
  EXPECT_EQ(by_id["exit3"].state(), v1::STORY_STATE_DEAD);
  EXPECT_EQ(by_id["exit3"].last_error(), "exit code 3 (attempt 1 of 1)");
  EXPECT_EQ(by_id["pre"].last_error(), "precondition 'never' failed: exit code 1 (attempt 1 of 1)");
  EXPECT_EQ(by_id["post"].last_error(),
            "postcondition 'test' failed: exit code 1 (attempt 1 of 1)");
  EXPECT_EQ(by_id["slow"].last_error(), "timed out after 200 ms (attempt 1 of 1)");
}

// Processes whose command line is exactly `argv`.
int processes_running(const std::vector<std::string>& argv) {
  std::string wanted;
  for (const auto& a : argv) wanted += a + '\0';
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator{"/proc"}) {
    std::ifstream in{entry.path() / "cmdline", std::ios::binary};
    std::string cmdline{std::istreambuf_iterator<char>{in}, {}};
    n += cmdline == wanted;
  }
  return n;
}

TEST_F(ExecRuns, CancelKillsRunningCommandsWithinASecond) {
  // A sleep of a length no other test uses, so that its processes can be counted.
  const std::vector<std::string> sleeper{"sleep", "59.125"};
  auto a = dir_.path() + "/a-started", b = dir_.path() + "/b-started";
  auto run_id = submit(R"({"name":"sleepers","waves":[{"name":"w","stories":[
    {"id":"a","exec":{"argv":["sh","-c","touch )" +
                       a + R"(; exec sleep 59.125"]}},
    {"id":"b","exec":{"argv":["sh","-c","touch )" +
                       b + R"(; exec sleep 59.125"]}}]}]})");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!(std::filesystem::exists(a) && std::filesystem::exists(b)))
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the commands never started";
  ASSERT_TRUE(eventually_equal([&] { return processes_running(sleeper); }, 2));
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(radctl({"cancel", run_id}).exit_code, 0);
  auto s = await_end(run_id, 5s);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(s.state(), v1::RUN_STATE_CANCELLED);
  EXPECT_EQ(s.counts().cancelled(), 2u);
  EXPECT_EQ(processes_running(sleeper), 0) << "cancel kills the commands";
}

// Lines of a text file; 0 when it does not exist.
int lines_of(const std::string& path) {
  std::ifstream in{path};
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// kill -9 of the worker running two commands: the idempotent one runs again
// elsewhere, the one marked idempotent: false ends dead and never starts again.
// Each start of a command appends a line to its file.
TEST_F(ExecRuns, AWorkerKilledWhileRunningANonIdempotentStoryEndsItAndNeverRunsItAgain) {
  auto once = dir_.path() + "/once.starts", again = dir_.path() + "/again.starts";
  auto command = [](const std::string& file) {
    return R"("exec":{"argv":["sh","-c","echo started >> )" + file + R"(; exec sleep 5"]})";
  };
  // One wave placed at once: one batch, so both run on the same worker.
  auto run_id = submit(R"({"name":"at-most-once","waves":[{"name":"w","stories":[
    {"id":"once","idempotent":false,)" +
                       command(once) + R"(},
    {"id":"again",)" + command(again) +
                       R"(}]}]})");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (lines_of(once) < 1 || lines_of(again) < 1)
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the commands never started";
  std::string victim;
  ASSERT_TRUE(eventually_true([&] {
    for (const char* w : {"w1", "w2"})
      if (agents_running(w) == 2) victim = w;
    return !victim.empty();
  })) << "no worker runs both stories";
  node(victim).signal(SIGKILL);
  ASSERT_EQ(node(victim).wait_exit(), 128 + SIGKILL);
  expect_log("coord", "member " + victim + " is now down");

  auto s = await_end(run_id, 30s);
  expect_all_terminal(s);
  EXPECT_EQ(s.state(), v1::RUN_STATE_FAILED) << s.ShortDebugString();
  EXPECT_EQ(s.error(), "wave 'w': 1 story dead");
  std::map<std::string, v1::StoryStatus> by_id;
  for (const auto& story : s.waves(0).stories()) by_id[story.id()] = story;
  EXPECT_EQ(by_id["once"].state(), v1::STORY_STATE_DEAD) << by_id["once"].ShortDebugString();
  EXPECT_EQ(by_id["once"].attempts(), 1u);
  EXPECT_EQ(by_id["once"].last_error(),
            "node lost while running attempt 1; not run again: the story is idempotent: false "
            "(its side effects may have happened)");
  EXPECT_EQ(by_id["again"].state(), v1::STORY_STATE_SUCCEEDED) << by_id["again"].ShortDebugString();
  EXPECT_EQ(by_id["again"].attempts(), 2u);
  // The run ended after `again` ran a second time, 5 s: long enough for any
  // placement of `once` to have started its command too.
  EXPECT_EQ(lines_of(once), 1) << "the idempotent: false command started again";
  EXPECT_EQ(lines_of(again), 2) << "the idempotent command runs again after its node is lost";
  EXPECT_EQ(terminal_transitions("coord", run_id),
            (std::map<std::string, int>{{"again", 1}, {"once", 1}}));
}

}  // namespace
}  // namespace rad::test
