// The Dispatcher and AgentHosts in one actor system: placement in batches,
// answers per order, refusals at the agent limit, cancel, duplicates.
#include "actors/dispatcher.h"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/agent_host.h"
#include "runtime/proto_bridge.h"
#include "runtime/system_config.h"

namespace rad {
namespace {

using namespace std::chrono_literals;

v1::SpawnBatch order_of(const std::string& run, int stories, uint64_t duration_ms = 0) {
  v1::SpawnBatch order;
  for (int i = 0; i < stories; ++i) {
    auto* r = order.add_requests();
    r->set_run_id(run);
    r->set_attempt(1);
    r->mutable_story()->set_id("s" + std::to_string(i));
    r->mutable_story()->mutable_mock()->set_duration_ms(duration_ms);
  }
  return order;
}

class DispatcherTest : public ::testing::Test {
 protected:
  // Hosts named n0, n1, ... with the given agent limits.
  void start(std::vector<uint32_t> limits, DispatcherOptions options = {}) {
    dispatcher_ = system_.spawn(dispatcher, options);
    std::vector<std::string> ids;
    for (size_t i = 0; i < limits.size(); ++i) {
      ids.push_back("n" + std::to_string(i));
      hosts_.push_back(system_.spawn(agent_host, AgentContext{ids.back(), 1}, limits[i]));
    }
    caf::anon_send(dispatcher_, members_atom::value, ids, hosts_);
  }

  v1::RunStatus dispatch(const v1::SpawnBatch& order) {
    v1::RunStatus status;
    self_->request(dispatcher_, 30s, dispatch_atom::value, proto(order))
        .receive([&](const Proto<v1::RunStatus>& s) { status = s.value; },
                 [&](const caf::error& err) { ADD_FAILURE() << system_.render(err); });
    return status;
  }

  uint32_t running(const caf::actor& host) {
    uint32_t n = 0;
    self_->request(host, 5s, running_atom::value)
        .receive([&](uint32_t r) { n = r; },
                 [&](const caf::error& err) { ADD_FAILURE() << system_.render(err); });
    return n;
  }

  void TearDown() override {
    self_->send_exit(dispatcher_, caf::exit_reason::user_shutdown);
    for (auto& h : hosts_) self_->send_exit(h, caf::exit_reason::user_shutdown);
  }

  SystemConfig config_;
  caf::actor_system system_{config_};
  caf::scoped_actor self_{system_};
  caf::actor dispatcher_;
  std::vector<caf::actor> hosts_;
};

TEST_F(DispatcherTest, EveryRequestOfManyConcurrentOrdersIsAnsweredOnce) {
  start({100000, 100000, 100000});
  constexpr int kOrders = 10, kStories = 5000;
  std::vector<caf::response_handle<caf::blocking_actor, caf::message, true>> answers;
  for (int i = 0; i < kOrders; ++i)
    answers.push_back(self_->request(dispatcher_, 30s, dispatch_atom::value,
                                     proto(order_of("run-" + std::to_string(i), kStories))));
  int answered = 0;
  for (auto& answer : answers)
    answer.receive(
        [&](const Proto<v1::RunStatus>& s) {
          ++answered;
          EXPECT_EQ(s.value.counts().total(), static_cast<uint32_t>(kStories));
          EXPECT_EQ(s.value.counts().succeeded(), static_cast<uint32_t>(kStories));
        },
        [&](const caf::error& err) { ADD_FAILURE() << system_.render(err); });
  EXPECT_EQ(answered, kOrders);
}

TEST_F(DispatcherTest, RequestsBeyondTheAgentLimitAreRefusedNotDropped) {
  start({3});
  // Long enough that the first three are still running when the rest arrive.
  auto status = dispatch(order_of("run", 10, 200));
  EXPECT_EQ(status.counts().total(), 10u);
  EXPECT_EQ(status.counts().succeeded(), 3u);
  EXPECT_EQ(status.counts().pending(), 7u);  // refused: not placed
}

TEST_F(DispatcherTest, CancelReachesRunningAgents) {
  start({100});
  auto order = order_of("run", 5, 60'000);
  auto answer = self_->request(dispatcher_, 30s, dispatch_atom::value, proto(order));
  // Agents exist once the host counts them; then cancel the run.
  while (running(hosts_[0]) < 5) std::this_thread::yield();
  v1::CancelRequest cancel;
  cancel.set_run_id("run");
  self_->send(hosts_[0], proto(cancel));
  v1::RunStatus status;
  answer.receive([&](const Proto<v1::RunStatus>& s) { status = s.value; },
                 [&](const caf::error& err) { ADD_FAILURE() << system_.render(err); });
  EXPECT_EQ(status.counts().cancelled(), 5u);
  EXPECT_EQ(running(hosts_[0]), 0u);
}

TEST_F(DispatcherTest, AnEmptyOrderIsAnsweredAtOnce) {
  start({1});
  auto status = dispatch(v1::SpawnBatch{});
  EXPECT_EQ(status.counts().total(), 0u);
}

}  // namespace
}  // namespace rad
