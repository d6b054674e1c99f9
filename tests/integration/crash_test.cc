// kill -9 at random moments: of the coordinator of a running 3-node plan, 20
// seeds, and of a whole all-in-one node. After each restart the run resumes
// and ends, and the checkpoint store shows every story ended exactly once.
// A failing seed replays with RAD_CRASH_SEED=N.
#include <gtest/gtest.h>
#include <signal.h>

#include <random>
#include <thread>

#include "chaos/invariants.h"
#include "tests/support/runs.h"

namespace rad::test {
namespace {

constexpr int kWaves = 3, kStoriesPerWave = 40;

// Waves with dependencies on the wave before, durations of 0-80 ms, and a
// quarter of the stories failing once before they succeed: a kill finds
// stories in every state.
std::string crash_plan(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> duration{0, 80}, quarter{0, 3}, story{0, kStoriesPerWave - 1};
  std::string waves;
  for (int w = 0; w < kWaves; ++w) {
    std::string stories;
    for (int i = 0; i < kStoriesPerWave; ++i) {
      std::string deps;
      if (w > 0 && quarter(rng) < 2)
        deps = R"("dependsOn":["w)" + std::to_string(w - 1) + "s" + std::to_string(story(rng)) +
               R"("],)";
      stories += std::string{i ? "," : ""} + R"({"id":"w)" + std::to_string(w) + "s" +
                 std::to_string(i) + R"(",)" + deps + R"("backoff":{"initialMs":20},"mock":{)" +
                 R"("durationMs":)" + std::to_string(duration(rng)) + R"(,"failFirstAttempts":)" +
                 std::to_string(quarter(rng) == 0 ? 1 : 0) + "}}";
    }
    waves += std::string{w ? "," : ""} + R"({"name":"w)" + std::to_string(w) +
             R"(","maxConcurrent":16,"stories":[)" + stories + "]}";
  }
  return R"({"name":"crash","waves":[)" + waves + "]}";
}

class Crashes : public RunsFixture {
 protected:
  // Seeds 1..n, or the one RAD_CRASH_SEED names.
  static std::vector<uint64_t> seeds(uint64_t n) {
    if (const char* one = std::getenv("RAD_CRASH_SEED")) return {std::stoull(one)};
    std::vector<uint64_t> out;
    for (uint64_t s = 1; s <= n; ++s) out.push_back(s);
    return out;
  }

  // Submits the seed's plan, kills the coordinator at a random moment of the
  // run, restarts it and checks the run against the store.
  void crash_and_resume(uint64_t seed, const NodeSpec& coordinator) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng{seed};
    auto run_id = submit(crash_plan(rng));
    ASSERT_FALSE(run_id.empty());
    // The moment: after a random number of stories ended, plus up to 20 ms
    // (a delay that is the fault schedule, not a synchronisation).
    std::uniform_int_distribution<uint32_t> ended{0, kWaves * kStoriesPerWave - 10};
    std::uniform_int_distribution<int> extra_ms{0, 20};
    auto kill_after = ended(rng);
    auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      auto c = status(run_id).counts();
      if (c.succeeded() + c.dead() + c.cancelled() >= kill_after) break;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the run does not progress";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{extra_ms(rng)});
    node("coord").signal(SIGKILL);
    ASSERT_EQ(node("coord").wait_exit(), 128 + SIGKILL);
    start(coordinator);
    expect_log("coord", "ready: node");
    if (!status(run_id).has_finished_at()) ++resumed_;
    auto s = await_end(run_id, 30s);
    ASSERT_TRUE(s.has_finished_at()) << "the run is lost or never ended";
    EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
    EXPECT_EQ(s.counts().succeeded(), static_cast<uint32_t>(kWaves * kStoriesPerWave));
    expect_all_terminal(s);
    expect_exactly_once_in_store(run_id, s);
  }

  // Runs the kill caught before their end.
  int resumed_ = 0;

  // The store agrees with the API, checked as chaos runs check it: one
  // terminal transition per story, the last of its events; its materialized
  // state and the run's summary are the API's.
  void expect_exactly_once_in_store(const std::string& run_id, const v1::RunStatus& api) {
    auto stored = read_stored_run(dir_.path() + "/coord/checkpoint", run_id);
    ASSERT_TRUE(stored) << error_message(stored.error());
    EXPECT_EQ(api.counts().total(), static_cast<uint32_t>(kWaves * kStoriesPerWave));
    for (const auto& v :
         {every_story_terminal_once(api, *stored), checkpoint_agrees(api, *stored, {})})
      EXPECT_TRUE(v.pass) << v.name << ": " << v.details;
  }
};

class CoordinatorCrashes : public Crashes {
 protected:
  void SetUp() override { start_three_nodes(); }
};

TEST_F(CoordinatorCrashes, TwentyKillsAtRandomMomentsLoseAndRepeatNoStory) {
  for (auto seed : seeds(20)) {
    crash_and_resume(seed, {"coord", "coordinator"});
    if (HasFatalFailure()) return;
  }
  EXPECT_GE(resumed_, static_cast<int>(seeds(20).size()) / 2) << "kills came too late";
}

class AllInOneCrashes : public Crashes {
 protected:
  void SetUp() override {
    start({"coord", "all"});
    expect_log("coord", "ready: node");
  }
};

TEST_F(AllInOneCrashes, KillsOfTheWholeNodeLoseAndRepeatNoStory) {
  for (auto seed : seeds(5)) {
    crash_and_resume(seed, {"coord", "all"});
    if (HasFatalFailure()) return;
  }
  EXPECT_GE(resumed_, static_cast<int>(seeds(5).size()) / 2) << "kills came too late";
}

}  // namespace
}  // namespace rad::test
