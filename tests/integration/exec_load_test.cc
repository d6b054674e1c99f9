// Real agents under real load (issue [7]): exec stories whose commands count
// their own side effects, on a 3-node loopback cluster, with the nodes busy
// and the coordinator killed.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "client/api_client.h"
#include "client/prometheus_text.h"
#include "tests/support/runs.h"

namespace rad::test {
namespace {

// Each command appends "+ ID [ATTEMPT]" as it starts and "- ID [ATTEMPT]" as
// it ends to one file: lines of a few bytes are appended whole (O_APPEND).
struct SideEffects {
  std::map<std::string, int> starts, ends;
  std::map<std::string, std::string> attempts;  // of each start, "1 3"
  int most_at_once = 0;
};

SideEffects read_side_effects(const std::string& path) {
  SideEffects s;
  std::ifstream in{path};
  int now = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.size() < 3) continue;
    std::istringstream fields{line.substr(2)};
    std::string id, attempt;
    fields >> id >> attempt;
    if (line[0] == '+') {
      ++s.starts[id];
      s.attempts[id] += (s.attempts[id].empty() ? "" : " ") + attempt;
      s.most_at_once = std::max(s.most_at_once, ++now);
    } else {
      ++s.ends[id];
      --now;
    }
  }
  return s;
}

class ExecUnderLoad : public RunsFixture {
 protected:
  void SetUp() override {
    for (const auto* name : {"coord", "w1", "w2"})
      start({name, name == std::string{"coord"} ? "coordinator" : "worker", env_});
    expect_log("coord", kThreeUp);
  }

  // A wave of `n` stories; story sI runs `sh -c '+ sI; sleep S; - sI'` with S
  // spread over [min_s, max_s] by a seeded draw.
  std::string counted_plan(int n, double min_s, double max_s, const std::string& wave_fields = "") {
    std::mt19937 random{7};
    std::uniform_real_distribution<double> sleep{min_s, max_s};
    return one_wave_plan(
        "counted", n,
        [&](int i) {
          std::ostringstream cmd;
          cmd.precision(3);
          cmd << "echo + s" << i << " $RAD_ATTEMPT >> " << effects_ << "; sleep " << std::fixed
              << sleep(random) << "; echo - s" << i << " $RAD_ATTEMPT >> " << effects_;
          return R"("exec":{"argv":["sh","-c",")" + cmd.str() + R"("]})";
        },
        wave_fields);
  }

  // Like await_end, but the coordinator may be starting: its API answers
  // nothing yet, which is no failure.
  v1::RunStatus await_end_across_restarts(const std::string& run_id,
                                          std::chrono::milliseconds timeout) {
    v1::RunStatus s;
    eventually_true([&] { return !api_get(api(), "/v1/runs/" + run_id, s) && s.has_finished_at(); },
                    timeout);
    return s;
  }

  // Every story's command ran to its end exactly once.
  void expect_each_ran_once(int n) {
    auto s = read_side_effects(effects_);
    for (int i = 0; i < n; ++i) {
      auto id = "s" + std::to_string(i);
      EXPECT_EQ(s.starts[id], 1) << id << " started " << s.starts[id] << " times (attempts "
                                 << s.attempts[id] << ")";
      EXPECT_EQ(s.ends[id], 1) << id << " ended " << s.ends[id] << " times";
    }
  }

  // Lines of every node saying a member is down (or suspect, with `suspect`).
  long alarms(bool suspect) {
    std::regex alarm{suspect ? "is now (suspect|down)" : "is now down"};
    long n = 0;
    for (const auto& name : cluster_.nodes()) {
      auto out = node(name).out();
      n += std::distance(std::sregex_iterator(out.begin(), out.end(), alarm),
                         std::sregex_iterator());
    }
    return n;
  }

  std::map<std::string, std::string> env_ = {{"RAD_USE_REAL_AGENTS", "true"}};
  std::string effects_ = dir_.path() + "/effects";
};

TEST_F(ExecUnderLoad, TwoThousandCommandsFourHundredAtOnceEachRunsOnceAndNoNodeIsDown) {
  constexpr int kStories = 2000;
  // Commands long enough that 400 overlap where starting one takes 10 ms of
  // the 2 cores' time (seen on CI: 5 ms per fork and exec, two per command).
  auto run_id = submit(counted_plan(kStories, 5.0, 8.0));
  // The commands show: on each worker's /metrics, and in the view (radctl nodes).
  EXPECT_TRUE(eventually_true([&] {
    for (const auto* w : {"w1", "w2"})
      if (prometheus_samples(scrape(w))[R"(rad_exec_commands{state="running"})"] > 0) return true;
    return false;
  }));
  EXPECT_TRUE(eventually_true([&] {
    auto view = view_of("coord");
    for (const auto& m : view.members())
      if (m.stats().exec_running() > 0 && m.node().capacity().exec_slots() > 0) return true;
    return false;
  }));
  auto s = await_end(run_id, 120s);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_EQ(s.counts().succeeded(), static_cast<uint32_t>(kStories));
  expect_each_ran_once(kStories);
  EXPECT_GE(read_side_effects(effects_).most_at_once, 400);
  EXPECT_EQ(alarms(false), 0) << "busy is not dead";
  RecordProperty("most_at_once", read_side_effects(effects_).most_at_once);
  RecordProperty("suspect_or_down", static_cast<int>(alarms(true)));
  for (const auto& [story, ends] : terminal_transitions("coord", run_id))
    EXPECT_EQ(ends, 1) << story;
}

// The coordinator's process gone for longer than a lease (it takes seconds
// to start on a busy host): the workers run their commands on, since the
// next coordinator awaits them, and none runs twice.
TEST_F(ExecUnderLoad, ACoordinatorDownLongerThanALeaseStopsNoCommand) {
  constexpr int kStories = 40;
  auto run_id = submit(counted_plan(kStories, 10.0, 12.0));
  ASSERT_TRUE(eventually_true([&] {
    return read_side_effects(effects_).starts.size() == kStories;
  })) << "the commands never started";
  node("coord").signal(SIGKILL);
  ASSERT_EQ(node("coord").wait_exit(), 128 + SIGKILL);
  // Down, not a synchronisation: longer than the lease (3 s by default).
  std::this_thread::sleep_for(4s);
  start({"coord", "coordinator", env_});
  auto s = await_end_across_restarts(run_id, 60s);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  expect_each_ran_once(kStories);
  for (const auto* w : {"w1", "w2"})
    EXPECT_EQ(node(w).out().find("lease expired"), std::string::npos) << w << " stopped its agents";
  EXPECT_TRUE(std::regex_search(node("coord").out(),
                                std::regex{"runs [0-9]+ attempts.*[1-9][0-9]* adopted"}))
      << "the next coordinator adopted the running commands";
}

// Coordinator kill -9s in quick succession, some before the workers have
// rejoined the coordinator before: no command runs twice while its worker
// lives, and each story ends SUCCEEDED exactly once in the API and the store.
class ExecUnderCoordinatorKills : public ExecUnderLoad {
 protected:
  void SetUp() override {
    // w2 is frozen through two coordinator starts, seconds on a busy host: a
    // node frozen past its lease cannot stop its commands (README), so the
    // lease outlasts the freeze.
    env_["RAD_CLUSTER_LEASE_MS"] = "20000";
    ExecUnderLoad::SetUp();
  }
};

TEST_F(ExecUnderCoordinatorKills, TenInQuickSuccessionRunNoCommandTwice) {
  constexpr int kStories = 2000;
  // Long enough that the run outlasts the kills.
  auto run_id = submit(counted_plan(kStories, 1.0, 4.0));
  ASSERT_TRUE(eventually_true([&] { return read_side_effects(effects_).starts.size() >= 400; }))
      << "the commands never started";

  // Two kills while w2 is frozen: the coordinator in between hears only w1,
  // and must still leave w2 among the nodes the next one awaits.
  node("w2").signal(SIGSTOP);
  node("coord").signal(SIGKILL);
  ASSERT_EQ(node("coord").wait_exit(), 128 + SIGKILL);
  start({"coord", "coordinator", env_});
  expect_log("coord", "awaiting the agents of 2 nodes");
  expect_log("coord", "node .* runs [0-9]+ attempts");  // w1's report
  // Its view of one worker is written in the background within milliseconds:
  // a pause so that the kill lands after that write, not an event to await.
  std::this_thread::sleep_for(300ms);
  node("coord").signal(SIGKILL);
  ASSERT_EQ(node("coord").wait_exit(), 128 + SIGKILL);
  start({"coord", "coordinator", env_});
  expect_log("coord", "awaiting the agents of 2 nodes");
  node("w2").signal(SIGCONT);

  std::mt19937 random{11};
  std::uniform_int_distribution<int> pause_ms{150, 1500};
  for (int kill = 2; kill < 10; ++kill) {
    // A pause, not a synchronisation: the kills are meant to land anywhere.
    std::this_thread::sleep_for(std::chrono::milliseconds{pause_ms(random)});
    node("coord").signal(SIGKILL);
    ASSERT_EQ(node("coord").wait_exit(), 128 + SIGKILL);
    start({"coord", "coordinator", env_});
  }
  expect_log("coord", "listening on");
  auto s = await_end_across_restarts(run_id, 180s);
  ASSERT_TRUE(s.has_finished_at()) << s.ShortDebugString();
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_EQ(s.counts().succeeded(), static_cast<uint32_t>(kStories));
  expect_all_terminal(s);
  expect_each_ran_once(kStories);

  auto exported = radctl({"checkpoint", "--data-dir", dir_.path() + "/coord", "export", run_id});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  v1::RunExport stored;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(exported.out, &stored).ok());
  std::map<std::string, int> succeeded;
  for (const auto& t : stored.events())
    if (is_terminal(t.to()))
      succeeded[t.story_id()] += t.to() == v1::STORY_STATE_SUCCEEDED ? 1 : 100;
  EXPECT_EQ(succeeded.size(), static_cast<size_t>(kStories));
  for (const auto& [story, n] : succeeded)
    EXPECT_EQ(n, 1) << story << ": one SUCCEEDED end, no other";
}

// A SIGSTOP'd idle worker is down within a second; a worker whose cores are
// saturated by its own agents (busy loops, 4x the cores) is never suspect or
// down, even while another worker is frozen beside it.
TEST_F(ExecUnderLoad, AFrozenWorkerIsDownWithinASecondAndASaturatedOneNeverIs) {
  using Clock = std::chrono::steady_clock;
  auto frozen_at = Clock::now();
  node("w2").signal(SIGSTOP);
  expect_log("coord", "member w2 is now down", 1s);
  auto idle_ms = std::chrono::duration<double, std::milli>(Clock::now() - frozen_at).count();
  node("w2").signal(SIGCONT);
  expect_log("coord", "member w2 is now up");
  RecordProperty("idle_sigstop_down_ms", static_cast<int>(idle_ms));

  // Busy loops on one worker: they go out in one batch, to one node.
  int loops = 4 * static_cast<int>(std::thread::hardware_concurrency());
  auto run_id = submit(one_wave_plan(
      "hogs", loops,
      R"("exec":{"argv":["sh","-c","timeout 8 sh -c 'while :; do :; done'; true"]})"));
  ASSERT_TRUE(eventually_true([&] { return agents_running("w1") + agents_running("w2") >= 4u; }));
  auto busy = agents_running("w1") >= agents_running("w2") ? "w1" : "w2";
  // Only what is logged from now on: the first part froze a worker on purpose.
  std::map<std::string, size_t> logged;
  for (const auto* n : {"coord", "w1", "w2"}) logged[n] = node(n).out().size();
  auto idle = std::string{busy} == "w1" ? "w2" : "w1";
  frozen_at = Clock::now();
  node(idle).signal(SIGSTOP);
  expect_log("coord", std::string{"member "} + idle + " is now down", 2s);
  auto loaded_ms = std::chrono::duration<double, std::milli>(Clock::now() - frozen_at).count();
  RecordProperty("loaded_sigstop_down_ms", static_cast<int>(loaded_ms));
  auto s = await_end(run_id, 60s);
  node(idle).signal(SIGCONT);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  std::regex busy_alarm{std::string{"member "} + busy + " is now (suspect|down)"};
  for (const auto* n : {"coord", "w1", "w2"}) {
    auto out = node(n).out().substr(logged[n]);
    EXPECT_FALSE(std::regex_search(out, busy_alarm)) << n << " reported the busy " << busy;
  }
}

// An all-in-one node (coordinator and agents in one process) told to stop
// while it runs hundreds of commands drains: the commands finish, and every
// result it waited for is committed before it exits, so none runs again
// after its restart.
// Few command slots: the coordinator keeps what does not fit, and says so.
class ExecSlots : public ExecUnderLoad {
 protected:
  void SetUp() override {
    env_["RAD_EXEC_SLOTS"] = "4";
    ExecUnderLoad::SetUp();
  }
};

TEST_F(ExecSlots, CommandsBeyondTheSlotsWaitAtTheCoordinatorVisiblyAndEachRunsOnce) {
  constexpr int kStories = 60;
  auto run_id = submit(counted_plan(kStories, 0.4, 0.8));
  // Two workers of 4 slots take 10 (a quarter more, which wait there); the
  // coordinator holds the rest and shows them.
  v1::RunStatus s;
  ASSERT_TRUE(eventually_true([&] {
    return !api_get(api(), "/v1/runs/" + run_id + "?stories=false", s) && s.queued() >= 40;
  })) << s.ShortDebugString();
  EXPECT_GE(prometheus_samples(scrape("coord"))[R"(rad_dispatch_queued{kind="exec"})"], 1);
  auto status = radctl({"status", run_id});
  EXPECT_NE(status.out.find("wait at the coordinator for a free command slot"), std::string::npos)
      << status.out;
  // Little waits on the workers: they were given a quarter more than they run.
  for (const auto* w : {"w1", "w2"})
    EXPECT_LE(prometheus_samples(scrape(w))[R"(rad_exec_commands{state="waiting"})"], 1) << w;
  s = await_end(run_id, 60s);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_EQ(s.queued(), 0u);
  expect_each_ran_once(kStories);
  EXPECT_LE(read_side_effects(effects_).most_at_once, 8);
  EXPECT_EQ(prometheus_samples(scrape("coord"))[R"(rad_dispatch_queued{kind="exec"})"], 0);
}

class AllInOneDrain : public ExecUnderLoad {
 protected:
  void SetUp() override {
    start({"coord", "all", env_});
    expect_log("coord", "listening on");
  }

  // Each story's command appends "+ STORY ATTEMPT" and, once done, "- STORY ATTEMPT".
  std::string plan(int n) {
    return one_wave_plan("drain", n, [&](int i) {
      auto line = [&](const char* sign) {
        return std::string{"echo "} + sign + " $RAD_STORY_ID $RAD_ATTEMPT >> " + effects_;
      };
      return R"("exec":{"argv":["sh","-c",")" + line("+") + "; sleep 0." +
             std::to_string(3 + i % 7) + "; " + line("-") + R"("]})";
    });
  }
};

TEST_F(AllInOneDrain, SigtermCommitsEveryResultItWaitedForAndNothingRunsTwice) {
  constexpr int kStories = 600;
  auto run_id = submit(plan(kStories));
  ASSERT_TRUE(eventually_true([&] { return read_side_effects(effects_).starts.size() >= 200; }));
  node("coord").signal(SIGTERM);
  ASSERT_EQ(node("coord").wait_exit(60s), 0) << node("coord").err();
  auto at_stop = read_side_effects(effects_);
  EXPECT_EQ(at_stop.starts.size(), at_stop.ends.size()) << "the drain let every command finish";
  start({"coord", "all", env_});
  auto s = await_end_across_restarts(run_id, 60s);
  ASSERT_TRUE(s.has_finished_at()) << s.ShortDebugString();
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  // Every command ran once: none of those that finished in the drain again.
  std::map<std::string, int> completions;
  std::ifstream in{effects_};
  std::string sign, story, attempt;
  while (in >> sign >> story >> attempt) completions[story] += sign == "-";
  EXPECT_EQ(completions.size(), static_cast<size_t>(kStories));
  for (const auto& [id, n] : completions) EXPECT_EQ(n, 1) << id << " completed " << n << " times";
}

// The same with 10,000 mock agents finishing during the drain: each ran once
// (one attempt per story in the store), none again after the restart.
TEST_F(AllInOneDrain, TenThousandAgentsFinishingInTheDrainAreAllCommitted) {
  constexpr int kStories = 10000;
  auto run_id = submit(one_wave_plan("drain", kStories, [](int i) {
    return R"("mock":{"durationMs":")" + std::to_string(1000 + i % 1000) + R"("})";
  }));
  ASSERT_TRUE(eventually_true([&] { return agents_running("coord") >= kStories / 2; }));
  node("coord").signal(SIGTERM);
  ASSERT_EQ(node("coord").wait_exit(60s), 0) << node("coord").err();
  start({"coord", "all", env_});
  auto s = await_end_across_restarts(run_id, 60s);
  ASSERT_TRUE(s.has_finished_at()) << s.ShortDebugString();
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  int again = 0;
  for (const auto& w : s.waves())
    for (const auto& story : w.stories()) again += story.attempts() != 1;
  EXPECT_EQ(again, 0) << "stories whose first attempt was not committed and ran again";
}

// Executions of each story from lines "+ ID NANOS" and "- ID NANOS": each
// start paired with the next end of the same story.
std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> executions(
    const std::string& path) {
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> out;
  std::ifstream in{path};
  std::string sign, id;
  int64_t at = 0;
  while (in >> sign >> id >> at) {
    auto& runs = out[id];
    if (sign == "+") {
      runs.push_back({at, -1});
    } else if (!runs.empty() && runs.back().second < 0) {
      runs.back().second = at;
    }
  }
  return out;
}

class ExecPartition : public ExecUnderLoad {
 protected:
  void SetUp() override {
    env_["RAD_CHAOS_ENABLED"] = "true";
    ExecUnderLoad::SetUp();
    for (const auto* n : {"w1", "w2"}) expect_log(n, kThreeUp);
  }

  void partition(const std::string& node, const std::string& command) {
    auto http = cluster_.http(node);
    auto body = api_request("POST", http, "/v1/chaos", command);
    ASSERT_TRUE(body) << node << ": " << error_message(body.error());
  }
};

// A worker cut off for longer than its lease stops its commands (they trap
// SIGTERM and write their end) before the coordinator places them again:
// no two executions of a story overlap.
TEST_F(ExecPartition, AWorkerCutOffPastItsLeaseStopsItsCommandsBeforeTheyRunElsewhere) {
  constexpr int kStories = 20;
  auto run_id = submit(one_wave_plan("cut", kStories, [&](int i) {
    auto id = "s" + std::to_string(i);
    auto line = [&](const char* sign) {
      return std::string{"echo "} + sign + " " + id + " $(date +%s%N) >> " + effects_;
    };
    return R"("exec":{"argv":["sh","-c","trap ')" + line("-") + R"(; exit 143' TERM; )" +
           line("+") + R"(; sleep 8 & wait; )" + line("-") + R"("]})";
  }));
  ASSERT_TRUE(eventually_true([&] { return executions(effects_).size() == kStories; }))
      << "the commands never started";
  // The worker that runs most of them is cut off.
  bool w1_busier = agents_running("w1") >= agents_running("w2");
  std::string victim = w1_busier ? "w1" : "w2", other = w1_busier ? "w2" : "w1";
  partition(victim, R"({"partition":{}})");
  partition("coord", R"({"partition":{"from":{"nodeNames":[")" + victim + R"("]}}})");
  partition(other, R"({"partition":{"from":{"nodeNames":[")" + victim + R"("]}}})");
  expect_log("coord", "member " + victim + " is now down");
  expect_log(victim, "lease expired");
  auto s = await_end(run_id, 60s);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_TRUE(std::regex_search(node("coord").out(),
                                std::regex{"is down \\(silent\\): its [0-9]+ attempts wait"}))
      << "the cut-off worker's attempts waited for its lease";

  int ran_twice = 0;
  for (const auto& [id, runs] : executions(effects_)) {
    ran_twice += runs.size() > 1;
    for (size_t i = 0; i < runs.size(); ++i) {
      EXPECT_GE(runs[i].second, runs[i].first) << id << " execution " << i << " never ended";
      if (i > 0) {
        EXPECT_GT(runs[i].first, runs[i - 1].second) << id << ": executions overlap";
      }
    }
  }
  EXPECT_GT(ran_twice, 0) << "the cut-off worker's stories ran again elsewhere";
}

}  // namespace
}  // namespace rad::test
