// Each invariant on synthetic evidence: a clean run passes, and each way of
// breaking it fails with the offender named.
#include "chaos/invariants.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "actors/retry_semantics.h"
#include "runtime/clock.h"

namespace rad {
namespace {

using S = v1::StoryState;
constexpr auto kScheduled = v1::STORY_STATE_SCHEDULED, kSucceeded = v1::STORY_STATE_SUCCEEDED,
               kFailed = v1::STORY_STATE_FAILED, kPending = v1::STORY_STATE_PENDING,
               kDead = v1::STORY_STATE_DEAD;

// Two stories: a succeeds at once on node n1; b fails once on n2, backs off
// 100 ms, then succeeds on n1.
class Evidence : public ::testing::Test {
 protected:
  void SetUp() override {
    auto* w = plan.add_waves();
    for (const char* id : {"a", "b"}) {
      auto* s = w->add_stories();
      s->set_id(id);
      s->set_max_attempts(2);
      s->mutable_backoff()->set_initial_ms(100);
    }
    event("a", 1, kPending, kScheduled, "", 0);
    event("b", 1, kPending, kScheduled, "", 0);
    event("a", 1, kScheduled, kSucceeded, "n1", 10);
    event("b", 1, kScheduled, kFailed, "n2", 20, "exit 1");
    event("b", 1, kFailed, kPending, "n2", 150, "backoff over");
    event("b", 2, kPending, kScheduled, "n2", 150);
    event("b", 2, kScheduled, kSucceeded, "n1", 160);
    api.set_run_id("r");
    api.set_state(v1::RUN_STATE_SUCCEEDED);
    *api.mutable_finished_at() = now_timestamp();
    auto* c = api.mutable_counts();
    c->set_total(2);
    c->set_succeeded(2);
    auto* wave = api.add_waves();
    story(wave, "a", kSucceeded, 1);
    story(wave, "b", kSucceeded, 2);
    stored.summary = api;
    stored.summary->clear_waves();
    for (const auto& s : wave->stories()) stored.stories[s.id()] = s;
    received.resize(2);
    received[0].set_succeeded(1);
    received[1].set_succeeded(2);
  }

  void event(const std::string& story, uint32_t attempt, S from, S to, const std::string& node,
             int ms, const std::string& reason = "") {
    v1::StoryTransition t;
    t.set_run_id("r");
    t.set_story_id(story);
    t.set_attempt(attempt);
    t.set_from(from);
    t.set_to(to);
    t.set_node_id(node);
    t.set_reason(reason);
    t.set_seq(stored.events.size() + 1);
    *t.mutable_at() = to_timestamp(start + std::chrono::milliseconds{ms});
    stored.events.push_back(t);
  }
  static void story(v1::WaveStatus* w, const std::string& id, S state, uint32_t attempts) {
    auto* s = w->add_stories();
    s->set_id(id);
    s->set_state(state);
    s->set_attempts(attempts);
  }
  v1::StoryStatus& api_story(int i) { return *api.mutable_waves(0)->mutable_stories(i); }

  std::chrono::system_clock::time_point start = std::chrono::system_clock::now();
  v1::Plan plan;
  v1::RunStatus api;
  StoredRun stored;
  std::vector<v1::StoryCounts> received;
};

}  // namespace

void PrintTo(const Verdict& v, std::ostream* os) { *os << v.name << ": " << v.details; }

namespace {

MATCHER_P(Fails, text, "") {
  *result_listener << arg.name << ": " << arg.details;
  return !arg.pass && arg.details.find(text) != std::string::npos;
}
MATCHER(Passes, "") {
  *result_listener << arg.name << ": " << arg.details;
  return arg.pass;
}

TEST_F(Evidence, ACleanRunPassesEveryInvariant) {
  EXPECT_THAT(every_story_terminal_once(api, stored), Passes());
  EXPECT_THAT(checkpoint_agrees(api, stored, received), Passes());
  EXPECT_THAT(restarts_within_policy(plan, stored, {}, api), Passes());
  EXPECT_THAT(no_orphan_processes({}), Passes());
  EXPECT_THAT(drains_within_deadline({{"w1", 5000, 800, 0, true}}), Passes());
  ProcessCounters n1{
      "w1", "n1", true, {{R"(agent_tasks_total{kind="mock",status="succeeded"})", 2}}, ""};
  ProcessCounters n2{
      "w2", "n2", true, {{R"(agent_tasks_total{kind="mock",status="failed"})", 1}}, ""};
  EXPECT_THAT(metrics_agree(stored, {n1, n2}), Passes());
  EXPECT_THAT(faults_applied({{"k", "kill_node", 0, 0, {"w1"}, true, {}, true}}), Passes());
  EXPECT_THAT(recoveries_completed({{"k", "w1", "back in the view", 0, 1.5, ""}}), Passes());
}

TEST_F(Evidence, AStoryEndingTwiceInTheStoreFails) {
  event("a", 2, kSucceeded, kDead, "n1", 300);
  EXPECT_THAT(every_story_terminal_once(api, stored), Fails("a moved on after it ended"));
  EXPECT_THAT(every_story_terminal_once(api, stored), Fails("a ended 2 times in the store"));
}

TEST_F(Evidence, AStoryNeverEndingFails) {
  stored.events.pop_back();
  api_story(1).set_state(kScheduled);
  api.clear_finished_at();
  auto v = every_story_terminal_once(api, stored);
  EXPECT_THAT(v, Fails("the run did not end"));
  EXPECT_THAT(v, Fails("b is SCHEDULED in the API"));
  EXPECT_THAT(v, Fails("b ended 0 times in the store"));
}

TEST_F(Evidence, AStoredStateOtherThanTheApisFails) {
  stored.stories["a"].set_state(kDead);
  EXPECT_THAT(checkpoint_agrees(api, stored, received), Fails("a: store DEAD, API SUCCEEDED"));
}

TEST_F(Evidence, StoredAttemptsOtherThanTheApisFail) {
  api_story(1).set_attempts(3);
  EXPECT_THAT(checkpoint_agrees(api, stored, received), Fails("b: store 2 attempts, API 3"));
}

TEST_F(Evidence, ARunMissingFromTheStoreFails) {
  stored.summary.reset();
  EXPECT_THAT(checkpoint_agrees(api, stored, received), Fails("the store has no run r"));
}

TEST_F(Evidence, AnEndedStoryTakenBackFromTheClientFails) {
  received[1].set_succeeded(1);
  received[0].set_succeeded(2);
  EXPECT_THAT(checkpoint_agrees(api, stored, received), Fails("progress read 1 had 2 succeeded"));
}

TEST_F(Evidence, AnOrphanFails) {
  EXPECT_THAT(no_orphan_processes({{4242, "sleep 3"}}), Fails("pid 4242: sleep 3"));
}

TEST(Orphans, AProcessHoldingTheMarkerIsFound) {
  std::string entry = "RAD_CHAOS_TEST_MARKER=" + std::to_string(::getpid());
  EXPECT_TRUE(processes_with_env(entry).empty());
  ::setenv("RAD_CHAOS_TEST_MARKER", std::to_string(::getpid()).c_str(), 1);
  // /proc/self/environ is the environment at exec: a child shows it.
  pid_t child = ::fork();
  if (child == 0) {
    ::execlp("sleep", "sleep", "5", nullptr);
    ::_exit(127);
  }
  bool found = false;
  for (int i = 0; i < 100 && !found; ++i) {
    for (const auto& p : processes_with_env(entry)) found |= p.pid == child;
    if (!found) ::usleep(20000);
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::unsetenv("RAD_CHAOS_TEST_MARKER");
  EXPECT_TRUE(found);
}

TEST_F(Evidence, MoreAttemptsThanAllowedFail) {
  plan.mutable_waves(0)->mutable_stories(1)->set_max_attempts(1);
  EXPECT_THAT(restarts_within_policy(plan, stored, {}, api), Fails("b: 2 attempts ran, 1 allowed"));
}

TEST_F(Evidence, ARetryBeforeItsBackoffFails) {
  stored.events[4].mutable_at()->CopyFrom(to_timestamp(start + std::chrono::milliseconds{40}));
  EXPECT_THAT(restarts_within_policy(plan, stored, {}, api),
              Fails("b: retry of attempt 1 after 20 ms, its backoff is at least 78 ms"));
}

TEST_F(Evidence, RunActorRestartsBeyondTheIntensityFail) {
  auto log = R"log({"msg":"run r: run actor crashed (boom); restarted (4 of 3 within 60 s)"}
{"msg":"run r: run actor crashed 4 times within the restart window; last: boom"})log";
  auto restarts = run_actor_restarts(log);
  ASSERT_EQ(restarts.size(), 2u);
  EXPECT_EQ(restarts[0].nth, 4u);
  EXPECT_TRUE(restarts[1].escalated);
  auto v = restarts_within_policy(plan, stored, restarts, api);
  EXPECT_THAT(v, Fails("Run actor restart 4 of 3 allowed"));
  EXPECT_THAT(v, Fails("went beyond the restart intensity but did not fail"));
}

TEST_F(Evidence, ADrainThatDidNotFinishOrTookTooLongFails) {
  EXPECT_THAT(drains_within_deadline({{"w1", 5000, 5100, 0, false}}), Fails("w1 did not drain"));
  EXPECT_THAT(drains_within_deadline({{"w1", 5000, 9000, 0, true}}), Fails("w1 took 9000 ms"));
  EXPECT_THAT(drains_within_deadline({{"w1", 5000, 900, 1, true}}), Fails("w1 exited 1"));
  EXPECT_THAT(drains_within_deadline({{"w1", 5000, 9000, std::nullopt, false}}),
              Fails("w1 did not exit"));
}

TEST_F(Evidence, MetricsMustEqualTheStoreOrBoundItWhenResultsMayBeLost) {
  ProcessCounters n1{
      "w1", "n1", true, {{R"(agent_tasks_total{kind="mock",status="succeeded"})", 3}}, ""};
  EXPECT_THAT(metrics_agree(stored, {n1}), Fails("w1: metric 3 (3 succeeded) == store 2 (2)"));
  n1.inexact_because = "a partition";
  EXPECT_THAT(metrics_agree(stored, {n1}), Passes()) << "counted, its result lost: a bound";
  n1.samples.begin()->second = 1;
  EXPECT_THAT(metrics_agree(stored, {n1}), Fails("w1: metric 1 (1 succeeded) >= store 2 (2)"));
  // Lost and refused attempts are no agent's: they are not counted in the store.
  event("b", 3, kScheduled, kPending, "n1", 400, "node lost");
  event("b", 3, kScheduled, kFailed, "n1", 400, "refused: agent limit");  // as older stores
  event("b", 3, kScheduled, kPending, "n1", 400, "waiting: agent limit 2 reached");
  event("b", 3, kScheduled, kDead, "n1", 400,
        std::string{"node lost while running attempt 3; "} + kNotRunAgain);
  ProcessCounters exact{
      "w1", "n1", true, {{R"(agent_tasks_total{kind="mock",status="succeeded"})", 2}}, ""};
  EXPECT_THAT(metrics_agree(stored, {exact}), Passes());
  // A success after a lost attempt keeps "node lost" as its reason: it ran.
  event("b", 4, kScheduled, kSucceeded, "n1", 500, "node lost");
  EXPECT_THAT(metrics_agree(stored, {exact}), Fails("== store 3 (3)"));
}

TEST_F(Evidence, AFaultNotAppliedFails) {
  FaultRecord f{"cut", "partition", 1000, 1001, {"w1"}, true, {{"w1", "failed: 404"}}, false};
  EXPECT_THAT(faults_applied({f}), Fails("cut (partition) not applied: w1: failed: 404"));
  f.fired = false;
  EXPECT_THAT(faults_applied({f}), Passes()) << "a fault its draw skipped is not due";
}

TEST_F(Evidence, ARecoveryThatNeverCameFails) {
  EXPECT_THAT(recoveries_completed({{"k", "w1", "back in the view", 0, std::nullopt, ""}}),
              Fails("w1 never back in the view"));
}

TEST_F(Evidence, RefusedAttemptsAreNoAttemptsThatRan) {
  // b's two attempts ran (2 allowed); a refusal between them ran nothing.
  stored.events.insert(stored.events.begin() + 6, stored.events[5]);
  stored.events[6].set_from(kScheduled);
  stored.events[6].set_to(kPending);
  stored.events[6].set_attempt(1);
  stored.events[6].set_reason("waiting: agent limit 2 reached");
  EXPECT_THAT(restarts_within_policy(plan, stored, {}, api), Passes());
  stored.events[6].set_reason("exit 1");
  EXPECT_THAT(restarts_within_policy(plan, stored, {}, api), Fails("b: 3 attempts ran, 2 allowed"));
}

TEST_F(Evidence, ADeadStoryAfterItsLastAttemptIsWithinPolicy) {
  stored.events.pop_back();
  event("b", 2, kScheduled, kDead, "n1", 160, "exit 1 (attempt 2 of 2)");
  EXPECT_THAT(restarts_within_policy(plan, stored, {}, api), Passes());
}

}  // namespace
}  // namespace rad
