// The story state machine of a run, driven by hand-made results.
#include "actors/run_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <algorithm>

#include "actors/retry_semantics.h"
#include "runtime/error.h"
#include "runtime/proto_file.h"

namespace rad {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Clock = RunState::Clock;

v1::Plan parse(const std::string& json) {
  v1::Plan plan;
  auto err = parse_proto_text(json, FileFormat::json, "test", plan);
  EXPECT_FALSE(err) << error_message(err);
  return plan;
}

std::vector<std::string> ids(const std::vector<v1::SpawnRequest>& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests) out.push_back(r.story().id() + "#" + std::to_string(r.attempt()));
  return out;
}
std::vector<std::string> ids(const std::vector<PlacedAttempt>& attempts) {
  std::vector<std::string> out;
  for (const auto& a : attempts) out.push_back(a.story->id() + "#" + std::to_string(a.attempt));
  return out;
}

v1::StoryResult result(const std::string& id, uint32_t attempt, v1::Outcome outcome,
                       const std::string& error = "") {
  v1::StoryResult r;
  r.set_run_id("r");
  r.set_story_id(id);
  r.set_attempt(attempt);
  r.set_outcome(outcome);
  r.set_node_id("n1");
  r.set_error(error);
  return r;
}

// "PENDING->SCHEDULED#1 " per transition: what the store would hold.
std::string steps(const std::vector<v1::StoryTransition>& log) {
  auto word = [](v1::StoryState s) {
    auto name = v1::StoryState_Name(s);
    return name.substr(name.rfind('_') + 1);
  };
  std::string out;
  for (const auto& t : log)
    out += word(t.from()) + "->" + word(t.to()) + "#" + std::to_string(t.attempt()) + " ";
  return out;
}

// A transition of story "a", as an older store may hold it.
v1::StoryTransition stored(uint64_t seq, uint32_t attempt, v1::StoryState from, v1::StoryState to,
                           const std::string& reason = "") {
  v1::StoryTransition t;
  t.set_run_id("r");
  t.set_story_id("a");
  t.set_seq(seq);
  t.set_attempt(attempt);
  t.set_from(from);
  t.set_to(to);
  t.set_reason(reason);
  return t;
}

// The rad_stories gauge of `registry` for `state` ("pending", "failed", ...).
double stories_gauge(prometheus::Registry& registry, const std::string& state) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "rad_stories") continue;
    for (const auto& m : family.metric)
      for (const auto& label : m.label)
        if (label.name == "state" && label.value == state) return m.gauge.value;
  }
  ADD_FAILURE() << "no rad_stories{state=\"" << state << "\"}";
  return -1;
}

class RunStateTest : public ::testing::Test {
 protected:
  std::vector<std::string> ready() { return ids(run->take_ready(now)); }
  RunState::Effect report(const std::string& id, uint32_t attempt, v1::Outcome outcome) {
    return run->on_result(result(id, attempt, outcome), now, 0.5);
  }
  v1::StoryState state_of(const std::string& id) {
    auto status = run->status(true);
    for (const auto& w : status.waves())
      for (const auto& s : w.stories())
        if (s.id() == id) return s.state();
    return v1::STORY_STATE_UNSPECIFIED;
  }

  Clock::time_point now = Clock::now();
  // Before `run`, which counts its stories in it until it is destroyed.
  prometheus::Registry registry;
  std::unique_ptr<RunState> run;
};

TEST_F(RunStateTest, WavesRunInOrderAndDependenciesWithinAWave) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[
    {"name":"one","stories":[{"id":"a","mock":{}},{"id":"b","dependsOn":["a"],"mock":{}},
                             {"id":"c","mock":{}}]},
    {"name":"two","stories":[{"id":"d","dependsOn":["b"],"mock":{}}]}]})"));
  EXPECT_THAT(ready(), ElementsAre("a#1", "c#1"));
  EXPECT_THAT(ready(), IsEmpty());
  report("a", 1, v1::OUTCOME_SUCCEEDED);
  EXPECT_THAT(ready(), ElementsAre("b#1"));
  report("b", 1, v1::OUTCOME_SUCCEEDED);
  EXPECT_THAT(ready(), IsEmpty()) << "wave two waits for all of wave one";
  report("c", 1, v1::OUTCOME_SUCCEEDED);
  EXPECT_THAT(ready(), ElementsAre("d#1"));
  EXPECT_FALSE(run->finished());
  report("d", 1, v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(run->state(), v1::RUN_STATE_SUCCEEDED);
  auto status = run->status(false);
  EXPECT_EQ(status.counts().succeeded(), 4u);
  EXPECT_EQ(status.waves(1).state(), v1::RUN_STATE_SUCCEEDED);
}

TEST_F(RunStateTest, FailedAttemptsAreRetriedAfterBackoffThenSucceed) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","backoff":{"initialMs":100,"jitter":0.5},"mock":{}}]}]})"));
  EXPECT_THAT(ready(), ElementsAre("a#1"));
  auto effect = report("a", 1, v1::OUTCOME_FAILED);
  ASSERT_TRUE(effect.retry_in);
  EXPECT_EQ(*effect.retry_in, std::chrono::milliseconds{100});
  EXPECT_EQ(state_of("a"), v1::STORY_STATE_FAILED);
  EXPECT_THAT(ready(), IsEmpty()) << "not before the backoff is over";
  run->retry_due(effect.story);
  EXPECT_THAT(ready(), ElementsAre("a#2"));
  effect = report("a", 2, v1::OUTCOME_TIMED_OUT);
  EXPECT_EQ(*effect.retry_in, std::chrono::milliseconds{200});
  run->retry_due(effect.story);
  EXPECT_THAT(ready(), ElementsAre("a#3"));
  report("a", 3, v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(run->state(), v1::RUN_STATE_SUCCEEDED);
}

TEST_F(RunStateTest, AStoryOutOfAttemptsIsDeadAndDoomsItsDependentsAndTheRun) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[
    {"name":"one","stories":[{"id":"a","maxAttempts":1,"mock":{}},
                             {"id":"b","dependsOn":["a"],"mock":{}},{"id":"c","mock":{}}]},
    {"name":"two","stories":[{"id":"d","mock":{}}]}]})"));
  EXPECT_THAT(ready(), ElementsAre("a#1", "c#1"));
  auto effect = report("a", 1, v1::OUTCOME_FAILED);
  EXPECT_FALSE(effect.retry_in);
  EXPECT_EQ(state_of("a"), v1::STORY_STATE_DEAD);
  EXPECT_EQ(state_of("b"), v1::STORY_STATE_DEAD);
  EXPECT_FALSE(run->finished()) << "c still runs";
  report("c", 1, v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(run->state(), v1::RUN_STATE_FAILED);
  EXPECT_EQ(state_of("d"), v1::STORY_STATE_CANCELLED);
  auto status = run->status(true);
  EXPECT_EQ(status.error(), "wave 'one': 2 stories dead");
  EXPECT_EQ(status.waves(0).stories(1).last_error(), "dependency 'a' did not succeed");
  EXPECT_EQ(status.counts().dead(), 2u);
  EXPECT_EQ(status.counts().succeeded(), 1u);
  EXPECT_EQ(status.counts().cancelled(), 1u);
}

TEST_F(RunStateTest, ContinueOnErrorGoesOnToTheNextWave) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[
    {"name":"one","continueOnError":true,"stories":[{"id":"a","maxAttempts":1,"mock":{}}]},
    {"name":"two","stories":[{"id":"b","mock":{}},{"id":"c","dependsOn":["a"],"mock":{}}]}]})"));
  EXPECT_THAT(ready(), ElementsAre("a#1"));
  report("a", 1, v1::OUTCOME_FAILED);
  EXPECT_EQ(state_of("c"), v1::STORY_STATE_DEAD);
  EXPECT_THAT(ready(), ElementsAre("b#1"));
  report("b", 1, v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(run->state(), v1::RUN_STATE_FAILED) << "wave two has a dead story and stops the run";
}

TEST_F(RunStateTest, MaxConcurrentBoundsAWave) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[{"name":"w",
    "maxConcurrent":2,"stories":[{"id":"a","mock":{}},{"id":"b","mock":{}},{"id":"c","mock":{}}]}]})"));
  EXPECT_THAT(ready(), ElementsAre("a#1", "b#1"));
  EXPECT_THAT(ready(), IsEmpty());
  report("b", 1, v1::OUTCOME_SUCCEEDED);
  EXPECT_THAT(ready(), ElementsAre("c#1"));
}

TEST_F(RunStateTest, ALostAttemptIsPlacedBeforeTheStoriesStillWaiting) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[{"name":"w",
    "maxConcurrent":2,"stories":[{"id":"a","mock":{}},{"id":"b","mock":{}},{"id":"c","mock":{}}]}]})"));
  EXPECT_THAT(ready(), ElementsAre("a#1", "b#1"));
  report("a", 1, v1::OUTCOME_NODE_LOST);
  EXPECT_THAT(ready(), ElementsAre("a#2")) << "c waits: a was placed before it";
}

TEST_F(RunStateTest, ASuccessAfterALossIsStoredWithNoReasonOfItsOwnButKeepsTheLastError) {
  RunOptions options;
  options.record_transitions = true;
  run = std::make_unique<RunState>(
      "r", parse(R"({"name":"p","waves":[{"name":"w","stories":[{"id":"a","mock":{}}]}]})"),
      options);
  ready();
  report("a", 1, v1::OUTCOME_NODE_LOST);
  ready();
  report("a", 2, v1::OUTCOME_SUCCEEDED);
  auto log = run->take_transitions();
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().to(), v1::STORY_STATE_SUCCEEDED);
  EXPECT_EQ(log.back().reason(), "");
  EXPECT_EQ(run->status(true).waves(0).stories(0).last_error(), "node lost");
}

TEST_F(RunStateTest, ARestoredRunDoesNotCountRefusalsAsFailedAttempts) {
  auto plan = parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","maxAttempts":3,"mock":{}}]}]})");
  RunOptions options;
  options.record_transitions = true;
  run = std::make_unique<RunState>("r", plan, options);
  ready();
  run->retry_due(report("a", 1, v1::OUTCOME_UNSPECIFIED).story);  // refused
  ready();
  run->retry_due(report("a", 1, v1::OUTCOME_FAILED).story);  // attempt 1 failed
  ready();
  run->retry_due(report("a", 2, v1::OUTCOME_UNSPECIFIED).story);  // attempt 2 refused
  auto log = run->take_transitions();

  RunState restored{"r", plan, options};
  restored.restore(log, now);
  EXPECT_THAT(ids(restored.take_ready(now)), ElementsAre("a#2"));
  EXPECT_TRUE(restored.on_result(result("a", 2, v1::OUTCOME_FAILED), now, 0.5).retry_in)
      << "attempt 2 of 3 is not the last: one failure before it, not three";
  EXPECT_EQ(restored.state(), v1::RUN_STATE_RUNNING);
}

TEST_F(RunStateTest, StaleAndDuplicateResultsAreIgnored) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","mock":{}}]}]})"));
  ready();
  EXPECT_FALSE(report("a", 2, v1::OUTCOME_SUCCEEDED).applied) << "an attempt never placed";
  EXPECT_FALSE(report("zz", 1, v1::OUTCOME_SUCCEEDED).applied);
  EXPECT_TRUE(report("a", 1, v1::OUTCOME_FAILED).applied);
  EXPECT_FALSE(report("a", 1, v1::OUTCOME_SUCCEEDED).applied) << "the attempt already reported";
  EXPECT_EQ(run->status(false).counts().failed(), 1u);
}

TEST_F(RunStateTest, NodeLossAndRefusalsPlaceAgainWithoutSpendingAttempts) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","maxAttempts":1,"mock":{}}]}]})"));
  EXPECT_THAT(ready(), ElementsAre("a#1"));
  EXPECT_FALSE(report("a", 1, v1::OUTCOME_NODE_LOST).retry_in);
  EXPECT_THAT(ready(), ElementsAre("a#2")) << "a new attempt, at once";
  auto effect = report("a", 2, v1::OUTCOME_UNSPECIFIED);
  EXPECT_EQ(*effect.retry_in, std::chrono::milliseconds{200});
  run->retry_due(effect.story);
  EXPECT_THAT(ready(), ElementsAre("a#2")) << "a refused attempt never ran: same number";
  report("a", 2, v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(run->state(), v1::RUN_STATE_SUCCEEDED);
}

TEST_F(RunStateTest, CancelEndsPendingStoriesAtOnceAndPlacedOnesWhenTheyReport) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[
    {"name":"one","stories":[{"id":"a","mock":{}},{"id":"b","dependsOn":["a"],"mock":{}}]},
    {"name":"two","stories":[{"id":"c","mock":{}}]}]})"));
  ready();
  EXPECT_FALSE(run->cancel("cancelled by user", now)) << "a is still placed";
  EXPECT_EQ(state_of("b"), v1::STORY_STATE_CANCELLED);
  EXPECT_EQ(state_of("c"), v1::STORY_STATE_CANCELLED);
  EXPECT_THAT(ready(), IsEmpty());
  EXPECT_FALSE(run->finished());
  report("a", 1, v1::OUTCOME_CANCELLED);
  EXPECT_EQ(run->state(), v1::RUN_STATE_CANCELLED);
  EXPECT_EQ(run->status(false).counts().cancelled(), 3u);
  EXPECT_EQ(run->status(false).error(), "cancelled by user");
}

// The user's word holds: a success reported after the cancel ends its story
// CANCELLED, and so does any other outcome; the reason says what it reported.
TEST_F(RunStateTest, AResultOfAnyOutcomeAfterTheCancelEndsItsStoryCancelled) {
  RunOptions options;
  options.record_transitions = true;
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","mock":{}},{"id":"b","mock":{}},{"id":"c","idempotent":false,"mock":{}},
    {"id":"d","mock":{}}]}]})"),
                                   options);
  EXPECT_THAT(ready(), ElementsAre("a#1", "b#1", "c#1", "d#1"));
  (void)run->take_transitions();
  EXPECT_FALSE(run->cancel("cancelled by user", now));
  EXPECT_FALSE(report("a", 1, v1::OUTCOME_SUCCEEDED).retry_in);
  EXPECT_FALSE(report("b", 1, v1::OUTCOME_FAILED).retry_in) << "no retry after a cancel";
  report("c", 1, v1::OUTCOME_NODE_LOST);
  report("d", 1, v1::OUTCOME_TIMED_OUT);
  EXPECT_EQ(run->state(), v1::RUN_STATE_CANCELLED);
  auto s = run->status(true);
  EXPECT_EQ(s.counts().cancelled(), 4u);
  EXPECT_EQ(s.counts().succeeded(), 0u);
  for (const auto& t : run->take_transitions()) {
    EXPECT_EQ(t.to(), v1::STORY_STATE_CANCELLED) << t.ShortDebugString();
    if (t.story_id() == "a") {
      EXPECT_THAT(t.reason(), HasSubstr("succeeded after the cancel"));
    }
  }
}

TEST_F(RunStateTest, AdoptionGivesStoriesWhoseResultsWereLostANewAttempt) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","maxAttempts":1,"mock":{}},{"id":"b","mock":{}},{"id":"c","mock":{}}]}]})"));
  EXPECT_THAT(ready(), ElementsAre("a#1", "b#1", "c#1"));
  report("c", 1, v1::OUTCOME_SUCCEEDED);  // reached the old actor before it died
  EXPECT_EQ(run->adopt({"b"}, now), 1u) << "a's result was lost; b is still open";
  EXPECT_THAT(ready(), ElementsAre("a#2")) << "a new attempt, not counted against maxAttempts";
  EXPECT_FALSE(report("a", 1, v1::OUTCOME_SUCCEEDED).applied) << "the lost attempt is over";
  report("a", 2, v1::OUTCOME_SUCCEEDED);
  report("b", 1, v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(run->state(), v1::RUN_STATE_SUCCEEDED);
}

TEST_F(RunStateTest, AbandonEndsEveryOpenStory) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","mock":{}},{"id":"b","mock":{}}]},{"name":"x","stories":[{"id":"c","mock":{}}]}]})"));
  ready();
  report("a", 1, v1::OUTCOME_SUCCEEDED);
  run->abandon("gave up", now);
  auto s = run->status(false);
  EXPECT_EQ(s.state(), v1::RUN_STATE_FAILED);
  EXPECT_EQ(s.error(), "gave up");
  EXPECT_EQ(s.counts().succeeded(), 1u);
  EXPECT_EQ(s.counts().cancelled(), 2u);
  EXPECT_EQ(run->in_flight(), 0u);
}

TEST_F(RunStateTest, ARestoredRunOffersItsPlacedAttemptsForAdoptionAndKeepsWhatHadEnded) {
  auto plan = parse(R"({"name":"p","waves":[
    {"name":"one","stories":[{"id":"a","mock":{}},{"id":"b","mock":{}},
                             {"id":"c","dependsOn":["a"],"mock":{}},
                             {"id":"e","backoff":{"initialMs":60000},"mock":{}}]},
    {"name":"two","stories":[{"id":"d","mock":{}}]}]})");
  RunOptions options;
  options.record_transitions = true;
  run = std::make_unique<RunState>("r", plan, options);
  EXPECT_THAT(ready(), ElementsAre("a#1", "b#1", "e#1"));
  report("a", 1, v1::OUTCOME_SUCCEEDED);
  EXPECT_TRUE(run->on_result(result("e", 1, v1::OUTCOME_FAILED), now, 0.5).retry_in);
  EXPECT_THAT(ready(), ElementsAre("c#1"));
  auto log = run->take_transitions();  // what the store held when the coordinator died

  RunState restored{"r", plan, options};
  EXPECT_EQ(restored.restore(log, now), 1u) << "only a had ended";
  auto s = restored.status(true);
  EXPECT_EQ(s.waves(0).stories(0).state(), v1::STORY_STATE_SUCCEEDED);
  EXPECT_EQ(s.waves(0).stories(1).state(), v1::STORY_STATE_SCHEDULED) << "b may still run";
  EXPECT_EQ(s.waves(0).stories(3).state(), v1::STORY_STATE_PENDING) << "e's backoff is over";
  EXPECT_NE(s.waves(0).stories(3).last_error().find("lost with a restarted coordinator"),
            std::string::npos);
  EXPECT_EQ(restored.in_flight(), 2u);
  EXPECT_THAT(ids(restored.take_adoptable()), ElementsAre("b#1", "c#1")) << "the same attempts";
  EXPECT_TRUE(restored.take_adoptable().empty()) << "offered once";
  EXPECT_THAT(ids(restored.take_ready(now)), ElementsAre("e#2"));
  auto again = restored.take_transitions();
  ASSERT_FALSE(again.empty());
  EXPECT_GT(again.front().seq(), log.back().seq()) << "the log goes on where it stopped";
  for (const char* id : {"b", "c"})
    EXPECT_TRUE(restored.on_result(result(id, 1, v1::OUTCOME_SUCCEEDED), now, 0.5).applied);
  EXPECT_TRUE(restored.on_result(result("e", 2, v1::OUTCOME_SUCCEEDED), now, 0.5).applied);
  EXPECT_THAT(ids(restored.take_ready(now)), ElementsAre("d#1"));
}

TEST_F(RunStateTest, ALongChainOfDependentsDiesWithoutDeepRecursion) {
  v1::Plan plan;
  plan.set_name("chain");
  auto* wave = plan.add_waves();
  wave->set_name("w");
  for (int i = 0; i < 200000; ++i) {
    auto* s = wave->add_stories();
    s->set_id("s" + std::to_string(i));
    s->set_max_attempts(1);
    if (i > 0) s->add_depends_on("s" + std::to_string(i - 1));
    s->mutable_mock();
  }
  run = std::make_unique<RunState>("r", plan);
  EXPECT_THAT(ready(), ElementsAre("s0#1"));
  report("s0", 1, v1::OUTCOME_FAILED);
  EXPECT_EQ(run->state(), v1::RUN_STATE_FAILED);
  EXPECT_EQ(run->status(false).counts().dead(), 200000u);
}

// -- refusals: waiting, not failing -------------------------------------------

TEST_F(RunStateTest, ARefusalLeavesTheStoryPendingWithNoFailedTransitionAndNoAttemptSpent) {
  RunOptions options;
  options.record_transitions = true;
  options.metrics = std::make_shared<RunMetrics>(registry);
  run = std::make_unique<RunState>(
      "r",
      parse(
          R"({"name":"p","waves":[{"name":"w","stories":[{"id":"a","maxAttempts":1,"mock":{}}]}]})"),
      options);
  EXPECT_THAT(ready(), ElementsAre("a#1"));
  auto effect = run->on_result(result("a", 1, v1::OUTCOME_UNSPECIFIED, "agent limit 10000 reached"),
                               now, 0.5);
  ASSERT_TRUE(effect.retry_in);
  EXPECT_EQ(*effect.retry_in, std::chrono::milliseconds{200});

  auto status = run->status(true);
  const auto& a = status.waves(0).stories(0);
  EXPECT_EQ(a.state(), v1::STORY_STATE_PENDING);
  EXPECT_EQ(a.attempts(), 0u) << "a refusal is no attempt";
  EXPECT_EQ(a.last_error(), "waiting: agent limit 10000 reached");
  EXPECT_EQ(status.counts().pending(), 1u);
  EXPECT_EQ(status.counts().failed(), 0u);
  EXPECT_EQ(status.waves(0).counts().pending(), 1u);
  EXPECT_EQ(stories_gauge(registry, "pending"), 1);
  EXPECT_EQ(stories_gauge(registry, "failed"), 0);
  EXPECT_EQ(stories_gauge(registry, "scheduled"), 0);
  auto log = run->take_transitions();
  EXPECT_EQ(steps(log), "PENDING->SCHEDULED#1 SCHEDULED->PENDING#0 ");
  EXPECT_EQ(log.back().reason(), "waiting: agent limit 10000 reached");
  EXPECT_THAT(ready(), IsEmpty()) << "not before refused_retry is over";

  run->retry_due(effect.story);
  EXPECT_THAT(ready(), ElementsAre("a#1")) << "the same attempt, never run";
  run->on_result(result("a", 1, v1::OUTCOME_FAILED, "exit code 1"), now, 0.5);
  EXPECT_EQ(state_of("a"), v1::STORY_STATE_DEAD) << "its one attempt was the one that ran";
  EXPECT_EQ(run->status(true).waves(0).stories(0).last_error(), "exit code 1 (attempt 1 of 1)");
  EXPECT_EQ(steps(run->take_transitions()), "PENDING->SCHEDULED#1 SCHEDULED->DEAD#1 ");
}

TEST_F(RunStateTest, RepeatedRefusalsAreRecordedOnceUntilTheStoryIsPlaced) {
  RunOptions options;
  options.record_transitions = true;
  run = std::make_unique<RunState>(
      "r", parse(R"({"name":"p","waves":[{"name":"w","stories":[{"id":"a","mock":{}}]}]})"),
      options);
  ready();
  for (int i = 0; i < 50; ++i) {
    auto effect = report("a", 1, v1::OUTCOME_UNSPECIFIED);
    ASSERT_TRUE(effect.retry_in);
    EXPECT_EQ(state_of("a"), v1::STORY_STATE_PENDING);
    run->retry_due(effect.story);
    ASSERT_THAT(ready(), ElementsAre("a#1"));
  }
  EXPECT_EQ(steps(run->take_transitions()),
            "PENDING->SCHEDULED#1 SCHEDULED->PENDING#0 PENDING->SCHEDULED#1 ")
      << "50 refusals: one PENDING, and the placement after it";
  report("a", 1, v1::OUTCOME_FAILED);  // it ran: the next refusal is news again
  run->retry_due(0);
  ready();
  report("a", 2, v1::OUTCOME_UNSPECIFIED);
  EXPECT_EQ(steps(run->take_transitions()),
            "SCHEDULED->FAILED#1 FAILED->PENDING#1 PENDING->SCHEDULED#2 SCHEDULED->PENDING#1 ");
}

TEST_F(RunStateTest, EveryRefusalOfANonIdempotentStoryIsRecordedSoThatARestartPlacesIt) {
  auto plan = parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","idempotent":false,"mock":{}}]}]})");
  RunOptions options;
  options.record_transitions = true;
  run = std::make_unique<RunState>("r", plan, options);
  ready();
  for (int i = 0; i < 3; ++i) {
    run->retry_due(report("a", 1, v1::OUTCOME_UNSPECIFIED).story);
    ASSERT_THAT(ready(), ElementsAre("a#1"));
  }
  report("a", 1, v1::OUTCOME_UNSPECIFIED);
  auto log = run->take_transitions();
  EXPECT_EQ(steps(log),
            "PENDING->SCHEDULED#1 SCHEDULED->PENDING#0 PENDING->SCHEDULED#1 "
            "SCHEDULED->PENDING#0 PENDING->SCHEDULED#1 SCHEDULED->PENDING#0 "
            "PENDING->SCHEDULED#1 SCHEDULED->PENDING#0 ");
  RunState restored{"r", plan, options};
  restored.restore(log, now);
  EXPECT_TRUE(restored.take_adoptable().empty()) << "nothing of it may run: nothing to give up";
  EXPECT_THAT(ids(restored.take_ready(now)), ElementsAre("a#1"));
}

TEST_F(RunStateTest, ARestoreAfterRefusalsCountsAttemptsRight) {
  auto plan = parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","maxAttempts":3,"mock":{}},{"id":"b","maxAttempts":2,"mock":{}}]}]})");
  RunOptions options;
  options.record_transitions = true;
  run = std::make_unique<RunState>("r", plan, options);
  EXPECT_THAT(ready(), ElementsAre("a#1", "b#1"));
  run->retry_due(report("a", 1, v1::OUTCOME_FAILED).story);
  EXPECT_THAT(ready(), ElementsAre("a#2"));
  report("a", 2, v1::OUTCOME_UNSPECIFIED);  // a waits, and its store says so
  for (int i = 0; i < 3; ++i) {             // b is refused, placed again, refused...
    run->retry_due(report("b", 1, v1::OUTCOME_UNSPECIFIED).story);
    EXPECT_THAT(ready(), ElementsAre("b#1"));
  }
  report("b", 1, v1::OUTCOME_UNSPECIFIED);  // b waits; its store has it SCHEDULED
  EXPECT_EQ(state_of("a"), v1::STORY_STATE_PENDING);
  EXPECT_EQ(state_of("b"), v1::STORY_STATE_PENDING);
  auto log = run->take_transitions();  // what the store held when the coordinator died
  EXPECT_EQ(std::count_if(log.begin(), log.end(),
                          [](const auto& t) { return t.to() == v1::STORY_STATE_FAILED; }),
            1)
      << steps(log);

  RunState restored{"r", plan, options};
  EXPECT_EQ(restored.restore(log, now), 0u);
  EXPECT_THAT(ids(restored.take_adoptable()), ElementsAre("b#1"))
      << "b may have been placed: the nodes are asked for attempt 1, the same number";
  EXPECT_THAT(ids(restored.take_ready(now)), ElementsAre("a#2"));
  auto effect = restored.on_result(result("a", 2, v1::OUTCOME_FAILED), now, 0.5);
  ASSERT_TRUE(effect.retry_in) << "attempt 2 of 3 failed: one more";
  restored.retry_due(effect.story);
  EXPECT_THAT(ids(restored.take_ready(now)), ElementsAre("a#3"));
  EXPECT_FALSE(restored.on_result(result("a", 3, v1::OUTCOME_FAILED), now, 0.5).retry_in);
  EXPECT_TRUE(restored.on_result(result("b", 1, v1::OUTCOME_FAILED), now, 0.5).retry_in)
      << "b's one attempt that ran failed: 1 of 2";
  auto status = restored.status(true);
  EXPECT_EQ(status.waves(0).stories(0).state(), v1::STORY_STATE_DEAD);
  EXPECT_EQ(status.waves(0).stories(0).last_error(), "FAILED (attempt 3 of 3)");
  EXPECT_EQ(status.waves(0).stories(1).state(), v1::STORY_STATE_FAILED);
}

TEST_F(RunStateTest, AStoreThatHoldsRefusalsAsFailedIsStillReadRight) {
  // As rad wrote refusals before they were waits: FAILED with the number of
  // the attempt before, then PENDING once the delay was over.
  auto F = v1::STORY_STATE_FAILED, P = v1::STORY_STATE_PENDING, S = v1::STORY_STATE_SCHEDULED;
  std::vector<v1::StoryTransition> log{
      stored(1, 1, P, S),
      stored(2, 0, S, F, "refused: agent limit 2 reached"),
      stored(3, 0, F, P, "backoff over"),
      stored(4, 1, P, S),
      stored(5, 1, S, F, "exit code 1"),
      stored(6, 1, F, P, "backoff over"),
      stored(7, 2, P, S),
      stored(8, 1, S, F, "refused: agent limit 2 reached"),
  };
  run = std::make_unique<RunState>(
      "r",
      parse(
          R"({"name":"p","waves":[{"name":"w","stories":[{"id":"a","maxAttempts":3,"mock":{}}]}]})"));
  run->restore(log, now);
  EXPECT_EQ(state_of("a"), v1::STORY_STATE_PENDING);
  EXPECT_THAT(ready(), ElementsAre("a#2"));
  auto effect = report("a", 2, v1::OUTCOME_FAILED);
  ASSERT_TRUE(effect.retry_in) << "two failures of 3 attempts, not four";
  run->retry_due(effect.story);
  EXPECT_THAT(ready(), ElementsAre("a#3"));
  EXPECT_FALSE(report("a", 3, v1::OUTCOME_FAILED).retry_in);
  EXPECT_EQ(state_of("a"), v1::STORY_STATE_DEAD);
}

TEST_F(RunStateTest, ARefusalDuringCancelEndsTheStoryCancelled) {
  run = std::make_unique<RunState>(
      "r", parse(R"({"name":"p","waves":[{"name":"w","stories":[{"id":"a","mock":{}}]}]})"));
  ready();
  EXPECT_FALSE(run->cancel("cancelled by user", now));
  EXPECT_FALSE(report("a", 1, v1::OUTCOME_UNSPECIFIED).retry_in);
  EXPECT_EQ(run->state(), v1::RUN_STATE_CANCELLED);
}

// -- idempotent: false: at most once across node loss ------------------------

TEST_F(RunStateTest, ANodeLossEndsANonIdempotentStoryWithTheReasonAndPlacesNothing) {
  RunOptions options;
  options.record_transitions = true;
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"once","idempotent":false,"mock":{}},
    {"id":"again","mock":{}},
    {"id":"said","idempotent":true,"mock":{}}]}]})"),
                                   options);
  EXPECT_THAT(ready(), ElementsAre("once#1", "again#1", "said#1"));
  for (const char* id : {"once", "again", "said"})
    EXPECT_TRUE(
        run->on_result(result(id, 1, v1::OUTCOME_NODE_LOST, "node lost"), now, 0.5).applied);
  EXPECT_THAT(ready(), ElementsAre("said#2", "again#2")) << "the idempotent ones, at once";

  auto status = run->status(true);
  const auto& once = status.waves(0).stories(0);
  EXPECT_EQ(once.state(), v1::STORY_STATE_DEAD);
  EXPECT_EQ(once.attempts(), 1u);
  EXPECT_EQ(once.last_error(),
            "node lost while running attempt 1; not run again: the story is idempotent: false "
            "(its side effects may have happened)");
  auto log = run->take_transitions();
  auto dead = std::find_if(log.begin(), log.end(),
                           [](const auto& t) { return t.to() == v1::STORY_STATE_DEAD; });
  ASSERT_NE(dead, log.end());
  EXPECT_EQ(dead->story_id(), "once");
  EXPECT_EQ(dead->from(), v1::STORY_STATE_SCHEDULED);
  EXPECT_EQ(dead->reason(), once.last_error());

  for (const char* id : {"again", "said"})
    run->on_result(result(id, 2, v1::OUTCOME_SUCCEEDED), now, 0.5);
  EXPECT_EQ(run->state(), v1::RUN_STATE_FAILED);
  EXPECT_EQ(run->status(false).error(), "wave 'w': 1 story dead");
}

TEST_F(RunStateTest, ANonIdempotentStoryIsStillRetriedAfterAFailedAttempt) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","idempotent":false,"maxAttempts":2,"mock":{}}]}]})"));
  ready();
  auto effect = report("a", 1, v1::OUTCOME_FAILED);
  ASSERT_TRUE(effect.retry_in) << "an attempt that reported its failure is a known outcome";
  run->retry_due(effect.story);
  EXPECT_THAT(ready(), ElementsAre("a#2"));
  auto refused = report("a", 2, v1::OUTCOME_UNSPECIFIED);
  ASSERT_TRUE(refused.retry_in) << "a refusal never ran: it is placed again too";
  run->retry_due(refused.story);
  EXPECT_THAT(ready(), ElementsAre("a#2"));
  report("a", 2, v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(run->state(), v1::RUN_STATE_SUCCEEDED);
}

TEST_F(RunStateTest, AResultLostWithACrashedRunActorEndsANonIdempotentStory) {
  run = std::make_unique<RunState>("r", parse(R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","idempotent":false,"mock":{}},{"id":"b","mock":{}}]}]})"));
  ready();
  EXPECT_EQ(run->adopt({}, now), 2u);
  EXPECT_THAT(ready(), ElementsAre("b#2"));
  EXPECT_EQ(state_of("a"), v1::STORY_STATE_DEAD);
  EXPECT_EQ(run->status(true).waves(0).stories(0).last_error(),
            std::string{"result lost with a crashed run actor (attempt 1); "} + kNotRunAgain);
}

TEST_F(RunStateTest, ReadyStoriesAreTakenAtMostMaxAtATimeAndTheRestWaitPending) {
  v1::Plan plan;
  auto* wave = plan.add_waves();
  for (const char* id : {"a", "b", "c", "d", "e"}) {
    auto* s = wave->add_stories();
    s->set_id(id);
    s->mutable_mock();
  }
  RunState slices{"r", plan};
  EXPECT_THAT(ids(slices.take_ready(now, 2)), ElementsAre("a#1", "b#1"));
  EXPECT_EQ(slices.story_status(2).state(), v1::STORY_STATE_PENDING) << "not taken: not placed";
  EXPECT_TRUE(slices.take_ready(now, 0).empty());
  EXPECT_THAT(ids(slices.take_ready(now, 2)), ElementsAre("c#1", "d#1"));
  EXPECT_THAT(ids(slices.take_ready(now)), ElementsAre("e#1"));
  EXPECT_EQ(slices.in_flight(), 5u);
}

}  // namespace
}  // namespace rad
