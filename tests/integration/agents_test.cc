// Agents across hosts, with real rad-node processes: spawn orders placed on
// workers, refusals at a node's agent limit, cancel reaching remote agents,
// and the graceful drain of a worker on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <caf/scoped_actor.hpp>
#include <functional>

#include "actors/agent_host.h"
#include "actors/dispatcher.h"
#include "rad/v1/run.pb.h"
#include "runtime/error.h"
#include "runtime/proto_bridge.h"
#include "tests/support/cluster.h"

namespace rad::test {
namespace {

using Handle = caf::response_handle<caf::blocking_actor, caf::message, true>;

Proto<v1::SpawnBatch> order(const std::string& run, int stories, uint64_t duration_ms) {
  Proto<v1::SpawnBatch> o;
  for (int i = 0; i < stories; ++i) {
    auto* r = o.value.add_requests();
    r->set_run_id(run);
    r->set_attempt(1);
    r->mutable_story()->set_id("s" + std::to_string(i));
    r->mutable_story()->mutable_mock()->set_duration_ms(duration_ms);
  }
  return o;
}

class Agents : public ClusterFixture {
 protected:
  void form(std::vector<NodeSpec> workers) {
    coordinator();
    for (auto& w : workers) start(w);
    auto members = std::to_string(workers.size() + 1);
    expect_log("coord", "view v\\d+: " + members + " members \\(" + members + " up\\)");
    self_ = std::make_unique<caf::scoped_actor>(client());
    coord_ = remote("coord");
  }

  Handle dispatch(const Proto<v1::SpawnBatch>& o) {
    return (*self_)->request(coord_, 60s, dispatch_atom::value, o);
  }

  v1::RunStatus answer(Handle& h) {
    v1::RunStatus status;
    h.receive([&](const Proto<v1::RunStatus>& s) { status = s.value; },
              [&](const caf::error& err) { ADD_FAILURE() << client().render(err); });
    return status;
  }

  uint32_t running_on(const std::string& name) {
    uint32_t n = 0;
    (*self_)
        ->request(agents_.try_emplace(name, remote(name)).first->second, 5s, running_atom::value)
        .receive([&](uint32_t r) { n = r; },
                 [&](const caf::error& err) { ADD_FAILURE() << client().render(err); });
    return n;
  }

  // Asks again (one round trip each) until `condition` holds or `timeout` passes.
  static bool eventually(const std::function<bool()>& condition,
                         std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline)
      if (condition()) return true;
    return false;
  }

  void cancel(const std::string& run) {
    v1::CancelRequest c;
    c.set_run_id(run);
    (*self_)->send(coord_, proto(c));
  }

  void TearDown() override {
    agents_.clear();
    coord_ = nullptr;
    self_.reset();
  }

  std::unique_ptr<caf::scoped_actor> self_;
  caf::actor coord_;
  std::map<std::string, caf::actor> agents_;
};

TEST_F(Agents, OrdersAreSpreadOverWorkersAndCancelReachesEveryAgent) {
  form({{"w1"}, {"w2"}});
  // Each order travels as one batch; batches go round the nodes that take agents.
  auto a = dispatch(order("a", 20, 60'000));
  auto b = dispatch(order("b", 20, 60'000));
  ASSERT_TRUE(eventually([&] { return running_on("w1") + running_on("w2") == 40; }));
  EXPECT_EQ(running_on("w1"), 20u);
  EXPECT_EQ(running_on("w2"), 20u);

  cancel("a");
  cancel("b");
  for (auto* h : {&a, &b}) {
    auto status = answer(*h);
    EXPECT_EQ(status.counts().total(), 20u);
    EXPECT_EQ(status.counts().cancelled(), 20u) << status.ShortDebugString();
  }
  EXPECT_EQ(running_on("w1"), 0u);
  EXPECT_EQ(running_on("w2"), 0u);
}

TEST_F(Agents, ManyAgentsAnswerOnceThroughBatches) {
  form({{"w1"}, {"w2"}});
  std::vector<Handle> handles;
  for (int i = 0; i < 4; ++i) handles.push_back(dispatch(order("r" + std::to_string(i), 5000, 0)));
  for (auto& h : handles) {
    auto status = answer(h);
    EXPECT_EQ(status.counts().succeeded(), 5000u) << status.ShortDebugString();
  }
}

TEST_F(Agents, AnOversizedOrderIsRefusedWithAClearError) {
  form({{"w1"}});
  auto h = dispatch(order("big", kMaxRequestsPerOrder + 1, 0));
  h.receive([](const Proto<v1::RunStatus>&) { ADD_FAILURE() << "an oversized order was run"; },
            [&](const caf::error& err) {
              EXPECT_NE(error_message(err).find("an order carries at most 10000 spawn requests"),
                        std::string::npos)
                  << client().render(err);
            });
}

TEST_F(Agents, RequestsBeyondAWorkersAgentLimitAreRefusedNotLost) {
  form({{"w1", "worker", {{"RAD_MAX_AGENTS", "3"}}}});
  auto h = dispatch(order("r", 5, 500));
  auto status = answer(h);
  EXPECT_EQ(status.counts().total(), 5u);
  EXPECT_EQ(status.counts().succeeded(), 3u);
  EXPECT_EQ(status.counts().pending(), 2u) << "refused requests come back unplaced";
}

TEST_F(Agents, AgentsOfAKilledWorkerAreReportedLostAndNewWorkGoesElsewhere) {
  form({{"w1"}, {"w2"}});
  auto a = dispatch(order("a", 10, 60'000));
  ASSERT_TRUE(eventually([&] { return running_on("w1") + running_on("w2") == 10; }));
  std::string victim = running_on("w1") == 10 ? "w1" : "w2";
  node(victim).signal(SIGKILL);
  auto status = answer(a);
  EXPECT_EQ(status.counts().failed(), 10u) << status.ShortDebugString();
  expect_log("coord", "node .* is down: 10 of its agents will not report");
  auto b = dispatch(order("b", 10, 0));
  EXPECT_EQ(answer(b).counts().succeeded(), 10u);
}

TEST_F(Agents, SigtermDrainsRunningAgentsThenLeaves) {
  form({{"w1"}, {"w2"}});
  auto a = dispatch(order("a", 10, 1500));
  auto b = dispatch(order("b", 10, 1500));
  ASSERT_TRUE(eventually([&] { return running_on("w1") == 10; }));

  node("w1").signal(SIGTERM);
  expect_log("w1", "draining: taking no new agents");
  expect_log("coord", "member w1 is now draining");
  // New work goes elsewhere while w1 finishes its agents.
  auto c = dispatch(order("c", 10, 0));
  EXPECT_EQ(answer(c).counts().succeeded(), 10u);

  for (auto* h : {&a, &b}) {
    auto status = answer(*h);
    EXPECT_EQ(status.counts().succeeded(), 10u) << status.ShortDebugString();
  }
  expect_log("w1", "drained: every agent finished and reported");
  EXPECT_EQ(node("w1").wait_exit(), 0) << node("w1").err();
  expect_log("coord", "member w1 is now left");
  EXPECT_EQ(member(view_of("coord"), "w1").state(), v1::MEMBER_STATE_LEFT);
}

TEST_F(Agents, SecondSigtermCancelsWhatIsStillRunning) {
  form({{"w1"}});
  auto a = dispatch(order("a", 5, 60'000));
  ASSERT_TRUE(eventually([&] { return running_on("w1") == 5; }));
  node("w1").signal(SIGTERM);
  expect_log("w1", "draining: taking no new agents");
  node("w1").signal(SIGTERM);
  EXPECT_EQ(node("w1").wait_exit(), 0) << node("w1").err();
  auto status = answer(a);
  EXPECT_EQ(status.counts().cancelled(), 5u) << status.ShortDebugString();
  expect_log("coord", "member w1 is now left");
}

TEST_F(Agents, DrainDeadlineCancelsWhatIsStillRunning) {
  form({{"w1", "worker", {{"RAD_AGENTS_DRAIN_TIMEOUT_MS", "300"}}}});
  auto a = dispatch(order("a", 5, 60'000));
  ASSERT_TRUE(eventually([&] { return running_on("w1") == 5; }));
  node("w1").signal(SIGTERM);
  expect_log("w1", "drain deadline passed");
  EXPECT_EQ(node("w1").wait_exit(), 0) << node("w1").err();
  auto status = answer(a);
  EXPECT_EQ(status.counts().cancelled(), 5u) << status.ShortDebugString();
  expect_log("coord", "member w1 is now left");
}

}  // namespace
}  // namespace rad::test
