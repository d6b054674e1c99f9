// Idempotency keys end to end. On a real all-in-one rad-node: the same key
// twice makes one run, also across a kill -9 of the node and its restart;
// a bad key is a 400 and another plan under a used key a 409; a submit whose
// answer was lost while the store could not be written, retried under its
// key, runs once. Against an API of the test's own: radctl sends every try
// of a submit under one key, says plainly when none was answered, and does
// not retry a refusal.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/runs.h"

namespace rad::test {
namespace {

struct Answer {
  int status = 0;  // 0: no answer
  nlohmann::json body;
};

class Idempotency : public RunsFixture {
 protected:
  void start_node(std::map<std::string, std::string> env = {}) {
    start({"coord", "all", std::move(env)});
    expect_log("coord", "ready: node");
  }

  // POST /v1/runs with `headers`; no answer within `timeout` is status 0.
  Answer post(const std::string& body, const httplib::Headers& headers,
              std::chrono::seconds timeout = 60s) {
    httplib::Client client{api()};
    client.set_read_timeout(timeout.count(), 0);
    auto res = client.Post("/v1/runs", headers, body, "application/json");
    if (!res) return {};
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }

  Answer post_with_key(const std::string& body, const std::string& key,
                       std::chrono::seconds timeout = 60s) {
    return post(body, {{"Idempotency-Key", key}}, timeout);
  }

  std::string plan_file(const std::string& plan_json) {
    return dir_.file("plan-" + std::to_string(++plans_) + ".json", plan_json);
  }

  std::vector<std::string> run_ids() {
    v1::RunList list;
    auto err = api_get(api(), "/v1/runs", list);
    EXPECT_FALSE(err) << error_message(err);
    std::vector<std::string> ids;
    for (const auto& r : list.runs()) ids.push_back(r.run_id());
    return ids;
  }

  static std::string plan(const std::string& name, int stories = 3) {
    return one_wave_plan(name, stories, R"("mock":{"durationMs":10})");
  }
};

TEST_F(Idempotency, TheSameKeyTwiceMakesOneRun) {
  start_node();
  auto path = plan_file(plan("once"));
  auto first = radctl({"submit", path, "--key", "order-42"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto run_id = first.out.substr(0, first.out.find('\n'));
  EXPECT_EQ(first.err, "") << "a new run, nothing to say";

  auto again = radctl({"submit", path, "--key", "order-42"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, run_id + "\n");
  EXPECT_EQ(again.err, "radctl: run " + run_id +
                           " was made by an earlier submit under this key; it is not submitted "
                           "again\n");
  // The same plan, spaced otherwise: the same plan.
  auto raw = post_with_key(" " + plan("once") + "\n", "order-42");
  EXPECT_EQ(raw.status, 201) << raw.body.dump();
  EXPECT_EQ(raw.body["runId"], run_id);
  EXPECT_EQ(raw.body["existing"], true);
  EXPECT_EQ(run_ids(), std::vector<std::string>{run_id});

  auto s = await_end(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_EQ(s.idempotency_key(), "order-42") << "its status names its key";
  auto other = post_with_key(plan("once"), "order-43");
  EXPECT_EQ(other.status, 201);
  EXPECT_EQ(other.body["existing"], false) << "another key, another run";
  EXPECT_EQ(run_ids().size(), 2u);
}

TEST_F(Idempotency, TheSameKeyAfterAKill9AndRestartGivesTheSameRunAndNoOther) {
  start_node();
  auto path = plan_file(
      one_wave_plan("crash", 20, R"("mock":{"durationMs":300})", R"("maxConcurrent":4,)"));
  auto first = radctl({"submit", path, "--key", "nightly-2024-06-01"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto run_id = first.out.substr(0, first.out.find('\n'));

  node("coord").signal(SIGKILL);
  ASSERT_EQ(node("coord").wait_exit(), 128 + SIGKILL);
  start_node();

  auto again = radctl({"submit", path, "--key", "nightly-2024-06-01"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, run_id + "\n") << "the key was found in the store";
  EXPECT_NE(again.err.find("made by an earlier submit"), std::string::npos) << again.err;
  EXPECT_EQ(run_ids(), std::vector<std::string>{run_id}) << "still one run";
  auto conflict = post_with_key(plan("another"), "nightly-2024-06-01");
  EXPECT_EQ(conflict.status, 409) << conflict.body.dump();

  auto s = await_end(run_id, 30s);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_EQ(s.counts().succeeded(), 20u);
  EXPECT_EQ(s.idempotency_key(), "nightly-2024-06-01") << "resumed, it keeps its key";
  EXPECT_EQ(run_ids(), std::vector<std::string>{run_id});
}

TEST_F(Idempotency, ABadKeyIs400AndAnotherPlanUnderAUsedKeyIs409) {
  start_node();
  const std::string what_to_do = "; use 1 to 128 printable ASCII characters, e.g. 32 hex digits";
  auto too_long = post_with_key(plan("p"), std::string(129, 'k'));
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(too_long.body["error"], "the Idempotency-Key header is 129 bytes long" + what_to_do);
  auto control = post_with_key(plan("p"), "a\x01z");
  EXPECT_EQ(control.status, 400);
  EXPECT_EQ(
      control.body["error"],
      "the Idempotency-Key header has a byte that is not printable ASCII (at 1)" + what_to_do);
  auto twice = post(plan("p"), {{"Idempotency-Key", "a"}, {"idempotency-key", "b"}});
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(twice.body["error"], "the Idempotency-Key header comes more than once; send it once");
  auto r = radctl({"submit", plan_file(plan("p")), "--key", std::string(129, 'k')});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "radctl: --key is 129 bytes long" + what_to_do + "\n");
  EXPECT_TRUE(run_ids().empty()) << "a bad key makes nothing";

  auto made = post_with_key(plan("a"), "k");
  ASSERT_EQ(made.status, 201) << made.body.dump();
  std::string run_id = made.body["runId"];
  const std::string conflict_error = "idempotency key 'k' already made run " + run_id +
                                     " of another plan; submit this plan under a new key";
  auto conflict = post_with_key(plan("b"), "k");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.body["error"], conflict_error);
  auto refused = radctl({"submit", plan_file(plan("b")), "--key", "k"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.out, "");
  EXPECT_EQ(refused.err, "radctl: " + conflict_error + "\n");
  EXPECT_EQ(run_ids(), std::vector<std::string>{run_id});
}

// What the user met: the store could not take the run's first write, the
// submit got no answer, the run was stored later and ran. The retry under the
// same key finds that run instead of making a second one.
TEST_F(Idempotency, ASubmitWhoseAnswerWasLostRetriedUnderItsKeyRunsOnce) {
  start_node({{"RAD_CHAOS_ENABLED", "true"}});
  auto armed = api_request("POST", api(), "/v1/chaos",
                           R"({"checkpointFailure":{"probability":1,"diskFull":true}})");
  ASSERT_TRUE(armed) << error_message(armed.error());
  auto lost = post_with_key(plan("lost"), "retry-me", 1s);
  EXPECT_EQ(lost.status, 0) << "no answer while the run cannot be stored: " << lost.body.dump();
  // The run's first write failed: new runs are refused now (the key's run is
  // made already).
  ASSERT_TRUE(eventually_true([&] { return !api_request("GET", api(), "/health/ready"); }, 5s));
  auto refused = post_with_key(plan("new"), "another-key");
  EXPECT_EQ(refused.status, 503) << refused.body.dump();
  ASSERT_TRUE(api_request("POST", api(), "/v1/chaos/clear"));

  auto retry = radctl({"submit", plan_file(plan("lost")), "--key", "retry-me"});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  auto run_id = retry.out.substr(0, retry.out.find('\n'));
  EXPECT_NE(retry.err.find("made by an earlier submit under this key"), std::string::npos)
      << retry.err;
  EXPECT_EQ(run_ids(), std::vector<std::string>{run_id}) << "one run";
  auto s = await_end(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.ShortDebugString();
  EXPECT_EQ(s.counts().succeeded(), 3u);
  auto store = Store::open_read_only(dir_.path() + "/coord/checkpoint");
  ASSERT_TRUE(store) << error_message(store.error());
  auto key = (*store)->idempotency_key("retry-me");
  ASSERT_TRUE(key) << error_message(key.error());
  EXPECT_EQ(key->run_id(), run_id);
}

// An API of the test's own: it records the Idempotency-Key of every POST and
// answers each with the next of `answers` (the last one again after that).
class FakeApi {
 public:
  struct Reply {
    int status;
    std::string body;
  };

  explicit FakeApi(std::vector<Reply> answers) : answers_(std::move(answers)) {
    server_.Post("/v1/runs", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> guard{mutex_};
      keys_.push_back(req.get_header_value("Idempotency-Key"));
      const auto& reply = answers_[std::min(keys_.size(), answers_.size()) - 1];
      res.status = reply.status;
      res.set_content(reply.body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread{[this] { server_.listen_after_bind(); }};
  }
  ~FakeApi() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> keys() {
    std::lock_guard<std::mutex> guard{mutex_};
    return keys_;
  }

 private:
  std::vector<Reply> answers_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> keys_;
};

class RadctlSubmit : public ::testing::Test {
 protected:
  RunResult submit(const FakeApi& api, std::vector<std::string> more = {}) {
    ProcessOptions o;
    o.argv = {binary("radctl"), "--api", api.url(), "submit", plan_};
    o.argv.insert(o.argv.end(), more.begin(), more.end());
    return run(o);
  }

  TempDir dir_;
  std::string plan_ = dir_.file(
      "plan.json", R"({"name":"p","waves":[{"name":"w","stories":[{"id":"a","mock":{}}]}]})");
};

TEST_F(RadctlSubmit, EveryTryGoesUnderOneKeyAndNoAnswerIsSaidPlainlyWithExitThree) {
  FakeApi api{{{500, R"({"error":"the coordinator is in trouble"})"}}};
  auto r = submit(api);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out, "");
  auto keys = api.keys();
  ASSERT_EQ(keys.size(), 3u) << "3 tries in all";
  EXPECT_EQ(keys[0].size(), 32u) << "a key radctl made: " << keys[0];
  EXPECT_EQ(keys[1], keys[0]);
  EXPECT_EQ(keys[2], keys[0]);
  EXPECT_EQ(r.err, "radctl: submit not confirmed: " + api.url() +
                       "/v1/runs answered 500: the coordinator is in trouble; retry with --key " +
                       keys[0] + " to be sure it runs once\n");
}

TEST_F(RadctlSubmit, ARetryFindsTheRunItsFirstTryMade) {
  FakeApi api{{{504, R"({"error":"not confirmed in time"})"},
               {201, R"({"runId":"run-1","existing":true})"}}};
  auto r = submit(api, {"--key", "mine"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "run-1\n");
  EXPECT_EQ(api.keys(), (std::vector<std::string>{"mine", "mine"}));
}

TEST_F(RadctlSubmit, ARefusalIsNotRetried) {
  FakeApi conflict{
      {{409, R"({"error":"idempotency key 'mine' already made run r of another plan"})"}}};
  auto r = submit(conflict, {"--key", "mine"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(conflict.keys().size(), 1u);
  FakeApi full{{{503, R"({"error":"the disk is full"})"}}};
  r = submit(full);
  EXPECT_EQ(r.exit_code, 1) << "refused for now: nothing was made" << r.err;
  EXPECT_EQ(r.err, "radctl: the disk is full\n");
  EXPECT_EQ(full.keys().size(), 1u);
}

}  // namespace
}  // namespace rad::test
