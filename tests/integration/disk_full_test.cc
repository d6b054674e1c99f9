// A coordinator whose data dir fills up mid-run (a small tmpfs, as root):
// it stops admitting work and says it is not ready, stays live, keeps every
// transition committed, and resumes by itself once the space is back, each
// story ending exactly once.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "persistence/store.h"
#include "rad/v1/run.pb.h"
#include "runtime/error.h"
#include "tests/support/cluster.h"
#include "tests/support/tmpfs.h"
#include "tools/api_client.h"

namespace rad::test {
namespace {

struct Answer {
  int status = 0;
  nlohmann::json body;
};

class DiskFull : public ClusterFixture {
 protected:
  void SetUp() override {
    if (!fs_.mounted()) GTEST_SKIP() << fs_.error();
    start({"coord", "coordinator"});
    start({"w1"});
    start({"w2"});
    expect_log("coord", kThreeUp);
  }

  std::string api() { return "http://127.0.0.1:" + std::to_string(ports_.at("coord").http); }

  Answer call(const std::string& method, const std::string& path, const std::string& body = {}) {
    httplib::Client client{api()};
    auto res = method == "POST" ? client.Post(path.c_str(), body, "application/json")
                                : client.Get(path.c_str());
    if (!res) return {};
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }

  RunResult radctl(std::vector<std::string> args) {
    ProcessOptions o;
    o.argv = {binary("radctl"), "--api", api()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    return run(o);
  }

  v1::RunStatus status(const std::string& run_id) {
    v1::RunStatus s;
    auto err = api_get(api(), "/v1/runs/" + run_id, s);
    EXPECT_FALSE(err) << error_message(err);
    return s;
  }

  // Asks (a round trip each time) until `done()` or the deadline passes.
  template <class F>
  static bool eventually(F done, std::chrono::milliseconds timeout = 20s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline)
      if (done()) return true;
    return false;
  }

  // A plan of `n` mock stories, 4 at a time: it runs for a few seconds.
  static std::string plan(const std::string& name, int n, int duration_ms) {
    std::string stories;
    for (int i = 0; i < n; ++i)
      stories += std::string{i ? "," : ""} + R"({"id":"s)" + std::to_string(i) +
                 R"(","mock":{"durationMs":)" + std::to_string(duration_ms) + "}}";
    return R"({"name":")" + name + R"(","waves":[{"name":"w","maxConcurrent":4,"stories":[)" +
           stories + "]}]}";
  }

  std::string submit(const std::string& plan_json) {
    auto path = dir_.file("plan-" + std::to_string(++plans_) + ".json", plan_json);
    auto r = radctl({"submit", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }

  // How many times each story of the run ended, as the store has it.
  std::map<std::string, int> ends_in_store(const Store& store, const std::string& run_id) {
    std::map<std::string, int> ends;
    EXPECT_FALSE(store.for_each_event(run_id, [&](const v1::StoryTransition& t) {
      if (t.to() == v1::STORY_STATE_SUCCEEDED || t.to() == v1::STORY_STATE_DEAD ||
          t.to() == v1::STORY_STATE_CANCELLED)
        ++ends[t.story_id()];
      return true;
    }));
    return ends;
  }

  static size_t lines_matching(const std::string& text, const std::string& pattern) {
    std::regex re{pattern};
    return static_cast<size_t>(
        std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
  }

  // The coordinator's data dir. A fresh store takes ~4.3 MB of it (RocksDB
  // reserves 4 MB for its MANIFEST), the runs here far less than the rest.
  Tmpfs fs_{dir_.path() + "/coord", 16u << 20};
  int plans_ = 0;
};

TEST_F(DiskFull, TheCoordinatorRefusesWorkAndIsNotReadyUntilSpaceReturnsThenGoesOn) {
  auto run_id = submit(plan("long", 80, 200));
  ASSERT_FALSE(run_id.empty());
  ASSERT_TRUE(eventually([&] { return status(run_id).counts().succeeded() >= 4; }));
  ASSERT_TRUE(fs_.fill()) << fs_.error();

  // Its next writes fail: not ready, with why.
  const std::string why =
      "checkpoint store coord/checkpoint cannot be written: the disk is full; free space there, "
      "rad resumes by itself";
  Answer ready;
  ASSERT_TRUE(eventually([&] { return (ready = call("GET", "/health/ready")).status == 503; }))
      << ready.body.dump();
  EXPECT_EQ(ready.body["checks"]["checkpoint"]["status"], "unhealthy") << ready.body.dump();
  EXPECT_EQ(ready.body["checks"]["checkpoint"]["message"], why) << ready.body.dump();
  EXPECT_EQ(ready.body["checks"]["cluster"]["status"], "healthy") << "only the store fails";
  EXPECT_EQ(call("GET", "/health/live").status, 200) << "alive all the same";

  // New work is refused with the same one line, by the API and radctl.
  auto refused = call("POST", "/v1/runs", plan("refused", 1, 1));
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.body["error"], why) << refused.body.dump();
  auto r = radctl({"submit", dir_.file("refused.json", plan("refused", 1, 1))});
  EXPECT_EQ(r.exit_code, 1) << "the cluster answered: not a reachability problem (3)";
  EXPECT_EQ(r.out, "") << "no run id";
  EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
  EXPECT_EQ(lines_matching(r.err, "\n"), 1u) << "one line: " << r.err;

  // The run waits for the store, it does not fail.
  auto waiting = status(run_id);
  EXPECT_EQ(waiting.state(), v1::RUN_STATE_RUNNING) << waiting.ShortDebugString();
  EXPECT_LT(waiting.counts().succeeded(), 80u);

  fs_.unfill();
  ASSERT_TRUE(eventually([&] { return (ready = call("GET", "/health/ready")).status == 200; }))
      << ready.body.dump();
  EXPECT_EQ(ready.body["checks"]["checkpoint"]["status"], "healthy");
  EXPECT_EQ(ready.body["checks"]["checkpoint"]["message"],
            "checkpoint store coord/checkpoint can be written; no recovery under way");

  v1::RunStatus s;
  ASSERT_TRUE(eventually([&] { return (s = status(run_id)).has_finished_at(); }))
      << s.ShortDebugString();
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_EQ(s.counts().succeeded(), 80u);
  auto after = submit(plan("after", 5, 10));
  ASSERT_FALSE(after.empty()) << "admitted again";
  ASSERT_TRUE(eventually([&] { return (s = status(after)).has_finished_at(); }));
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();

  node("coord").signal(SIGTERM);
  ASSERT_EQ(node("coord").wait_exit(), 0) << node("coord").err();
  // One warning when the store could not be written, one info when it could
  // again: not one per try.
  const auto& log = node("coord").out();
  EXPECT_EQ(lines_matching(log, R"(cannot be written: the disk is full.*\(new runs are refused)"),
            1u)
      << log;
  EXPECT_EQ(lines_matching(log, "can be written again; new runs are accepted"), 1u) << log;

  auto store = Store::open({dir_.path() + "/coord/checkpoint", SyncMode::batch});
  ASSERT_TRUE(store) << error_message(store.error());
  for (const auto& [id, stories] : {std::pair{run_id, 80u}, std::pair{after, 5u}}) {
    auto ends = ends_in_store(**store, id);
    EXPECT_EQ(ends.size(), stories) << id << ": every story ended";
    for (const auto& [story, n] : ends) EXPECT_EQ(n, 1) << story << " ended " << n << " times";
    auto stored = (*store)->run(id);
    ASSERT_TRUE(stored) << error_message(stored.error());
    EXPECT_EQ(stored->state(), v1::RUN_STATE_SUCCEEDED);
  }
}

}  // namespace
}  // namespace rad::test
