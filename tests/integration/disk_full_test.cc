// A coordinator whose data dir fills up mid-run (a small tmpfs, as root):
// it stops admitting work and says it is not ready, stays live, keeps every
// transition committed, and resumes by itself once the space is back, each
// story ending exactly once.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "tests/support/runs.h"
#include "tests/support/tmpfs.h"

namespace rad::test {
namespace {

struct Answer {
  int status = 0;
  nlohmann::json body;
};

class DiskFull : public RunsFixture {
 protected:
  void SetUp() override {
    if (!fs_.mounted()) GTEST_SKIP() << fs_.error();
    start_three_nodes();
  }

  Answer call(const std::string& method, const std::string& path, const std::string& body = {}) {
    httplib::Client client{api()};
    auto res = method == "POST" ? client.Post(path.c_str(), body, "application/json")
                                : client.Get(path.c_str());
    if (!res) return {};
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }

  // A plan of `n` mock stories, 4 at a time: it runs for a few seconds.
  static std::string plan(const std::string& name, int n, int duration_ms) {
    return one_wave_plan(name, n, R"("mock":{"durationMs":)" + std::to_string(duration_ms) + "}",
                         R"("maxConcurrent":4,)");
  }

  static size_t lines_matching(const std::string& text, const std::string& pattern) {
    std::regex re{pattern};
    return static_cast<size_t>(
        std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
  }

  // The coordinator's data dir. A fresh store takes ~4.3 MB of it (RocksDB
  // reserves 4 MB for its MANIFEST), the runs here far less than the rest.
  Tmpfs fs_{dir_.path() + "/coord", 16u << 20};
};

TEST_F(DiskFull, TheCoordinatorRefusesWorkAndIsNotReadyUntilSpaceReturnsThenGoesOn) {
  auto run_id = submit(plan("long", 80, 200));
  ASSERT_FALSE(run_id.empty());
  ASSERT_TRUE(eventually_true([&] { return status(run_id).counts().succeeded() >= 4; }));
  ASSERT_TRUE(fs_.fill()) << fs_.error();

  // Its next writes fail: not ready, with why.
  const std::string why =
      "checkpoint store coord/checkpoint cannot be written: the disk is full; free space there, "
      "rad resumes by itself";
  Answer ready;
  ASSERT_TRUE(eventually_true([&] { return (ready = call("GET", "/health/ready")).status == 503; }))
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
  ASSERT_TRUE(eventually_true([&] { return (ready = call("GET", "/health/ready")).status == 200; }))
      << ready.body.dump();
  EXPECT_EQ(ready.body["checks"]["checkpoint"]["status"], "healthy");
  EXPECT_EQ(ready.body["checks"]["checkpoint"]["message"],
            "checkpoint store coord/checkpoint can be written; no recovery under way");

  v1::RunStatus s;
  ASSERT_TRUE(eventually_true([&] { return (s = status(run_id)).has_finished_at(); }))
      << s.ShortDebugString();
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_EQ(s.counts().succeeded(), 80u);
  auto after = submit(plan("after", 5, 10));
  ASSERT_FALSE(after.empty()) << "admitted again";
  ASSERT_TRUE(eventually_true([&] { return (s = status(after)).has_finished_at(); }));
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();

  node("coord").signal(SIGTERM);
  ASSERT_EQ(node("coord").wait_exit(), 0) << node("coord").err();
  // One warning when the store could not be written, one info when it could
  // again: not one per try.
  auto log = node("coord").out();
  EXPECT_EQ(lines_matching(log, R"(cannot be written: the disk is full.*\(new runs are refused)"),
            1u)
      << log;
  EXPECT_EQ(lines_matching(log, "can be written again; new runs are accepted"), 1u) << log;

  auto store = Store::open_read_only(dir_.path() + "/coord/checkpoint");
  ASSERT_TRUE(store) << error_message(store.error());
  for (const auto& [id, stories] : {std::pair{run_id, 80u}, std::pair{after, 5u}}) {
    auto ends = terminal_transitions("coord", id);
    EXPECT_EQ(ends.size(), stories) << id << ": every story ended";
    for (const auto& [story, n] : ends) EXPECT_EQ(n, 1) << story << " ended " << n << " times";
    auto stored = (*store)->run(id);
    ASSERT_TRUE(stored) << error_message(stored.error());
    EXPECT_EQ(stored->state(), v1::RUN_STATE_SUCCEEDED);
  }
}

}  // namespace
}  // namespace rad::test
