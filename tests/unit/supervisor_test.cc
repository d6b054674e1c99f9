// The Supervisor, Run actors, Dispatcher and AgentHosts in one actor system:
// a crashed Run actor is restarted on its run's state; past the restart
// intensity its run fails, and other runs go on; no run is admitted while
// the checkpoint store cannot be written.
#include "actors/supervisor.h"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/agent_host.h"
#include "actors/dispatcher.h"
#include "runtime/error.h"
#include "runtime/proto_bridge.h"
#include "runtime/system_config.h"
#include "tests/support/mock_plan.h"

namespace rad {
namespace {

using namespace std::chrono_literals;

class SupervisorTest : public ::testing::Test {
 protected:
  SupervisorTest() {
    dispatcher_ = spawn_dispatcher(system_, DispatcherOptions{});
    std::vector<std::string> ids{"n1", "n2"};
    for (const auto& id : ids)
      hosts_.push_back(spawn_agent_host(
          system_, {AgentContext{id, 1}, 100000u, AgentMetrics::unscraped(), nullptr}));
    caf::anon_send(dispatcher_, members_atom::value, ids, hosts_,
                   std::vector<uint32_t>(ids.size()));
    SupervisorOptions options;
    options.max_restarts = 2;
    supervisor_ = spawn_supervisor(system_, options, dispatcher_, checkpoint_actor{});
  }

  ~SupervisorTest() override {
    for (auto& a : hosts_) self_->send_exit(a, caf::exit_reason::user_shutdown);
    self_->send_exit(dispatcher_, caf::exit_reason::user_shutdown);
    self_->send_exit(supervisor_, caf::exit_reason::user_shutdown);
  }

  std::string submit(const v1::Plan& plan) {
    std::string id;
    self_->request(supervisor_, 5s, submit_atom::value, proto(plan), std::string{}, std::string{})
        .receive([&](const Proto<v1::SubmitReply>& reply) { id = reply.value.run_id(); },
                 [&](const caf::error& err) { ADD_FAILURE() << error_message(err); });
    return id;
  }

  // The status, once its Run actor answers again (after a restart) or the run is over.
  std::optional<v1::RunStatus> status(const std::string& run_id) {
    std::optional<v1::RunStatus> out;
    self_->request(supervisor_, 5s, status_atom::value, run_id, true)
        .receive([&](const Proto<v1::RunStatus>& s) { out = s.value; }, [&](const caf::error&) {});
    return out;
  }

  v1::RunStatus await_end(const std::string& run_id) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    std::optional<v1::RunStatus> s;
    while (std::chrono::steady_clock::now() < deadline)
      if ((s = status(run_id)) && s->has_finished_at()) return *s;
    ADD_FAILURE() << "run " << run_id << " did not end";
    return s.value_or(v1::RunStatus{});
  }

  // Kills the run's actor, then waits until its successor answers.
  void crash(const std::string& run_id) {
    bool killed = false;
    self_->request(supervisor_, 5s, kill_run_atom::value, run_id)
        .receive([&](bool k) { killed = k; }, [&](const caf::error&) {});
    ASSERT_TRUE(killed);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!status(run_id)) ASSERT_LT(std::chrono::steady_clock::now(), deadline);
  }

  SystemConfig config_;
  caf::actor_system system_{config_};
  caf::scoped_actor self_{system_};
  dispatcher_actor dispatcher_;
  supervisor_actor supervisor_;
  std::vector<agent_host_actor> hosts_;
};

TEST_F(SupervisorTest, ACrashedRunActorIsRestartedAndEveryStoryEndsOnce) {
  auto run_id = submit(test::mock_plan("p", 400, 100));
  crash(run_id);
  crash(run_id);
  auto s = await_end(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.error();
  EXPECT_EQ(s.counts().succeeded(), 400u);
  for (const auto& story : s.waves(0).stories())
    EXPECT_EQ(story.state(), v1::STORY_STATE_SUCCEEDED);
}

TEST_F(SupervisorTest, ARestartedRunActorTakesOverTheAttemptsStillQueuedAtTheDispatcher) {
  // No node hosts agents: every attempt waits in the Dispatcher's queue.
  caf::anon_send(dispatcher_, members_atom::value, std::vector<std::string>{},
                 std::vector<agent_host_actor>{}, std::vector<uint32_t>{});
  auto run_id = submit(test::mock_plan("queued", 300, 1));
  auto queued = [&] {
    auto s = status(run_id);
    return s && s->counts().scheduled() == 300u;
  };
  for (auto deadline = std::chrono::steady_clock::now() + 5s; !queued();)
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
  crash(run_id);
  caf::anon_send(dispatcher_, members_atom::value, std::vector<std::string>{"n1", "n2"}, hosts_,
                 std::vector<uint32_t>(2));
  auto s = await_end(run_id);
  EXPECT_EQ(s.state(), v1::RUN_STATE_SUCCEEDED) << s.error();
  int first_attempts = 0;
  for (const auto& story : s.waves(0).stories())
    first_attempts += story.state() == v1::STORY_STATE_SUCCEEDED && story.attempts() == 1;
  EXPECT_EQ(first_attempts, 300) << "a queued attempt is still open: taken over, not lost";
}

TEST_F(SupervisorTest, PastTheRestartIntensityTheRunFailsAndOthersGoOn) {
  auto doomed = submit(test::mock_plan("doomed", 100, 60'000));
  auto other = submit(test::mock_plan("other", 50, 10));
  crash(doomed);
  crash(doomed);
  bool killed = false;
  self_->request(supervisor_, 5s, kill_run_atom::value, doomed)
      .receive([&](bool k) { killed = k; }, [&](const caf::error&) {});
  ASSERT_TRUE(killed);
  auto s = await_end(doomed);
  EXPECT_EQ(s.state(), v1::RUN_STATE_FAILED);
  EXPECT_NE(s.error().find("run actor crashed 3 times within the restart window"),
            std::string::npos)
      << s.error();
  EXPECT_EQ(s.counts().cancelled(), 100u) << "every story ends, none is left open";
  auto o = await_end(other);
  EXPECT_EQ(o.state(), v1::RUN_STATE_SUCCEEDED);
  EXPECT_EQ(o.counts().succeeded(), 50u);
}

TEST_F(SupervisorTest, NoRunIsAdmittedWhileTheCheckpointStoreCannotBeWritten) {
  const std::string why =
      "checkpoint store /d/checkpoint cannot be written: the disk is full; free space there, rad "
      "resumes by itself";
  // As the Checkpoint actor tells it.
  self_->send(supervisor_, store_state_atom::value, false, why);
  bool refused = false;
  self_
      ->request(supervisor_, 5s, submit_atom::value, proto(test::mock_plan("p", 1, 1)),
                std::string{}, std::string{})
      .receive(
          [&](const Proto<v1::SubmitReply>& reply) {
            ADD_FAILURE() << "admitted as " << reply.value.run_id();
          },
          [&](const caf::error& err) {
            refused = true;
            EXPECT_TRUE(is(err, Errc::unavailable)) << error_message(err);
            EXPECT_EQ(error_message(err), why);
          });
  EXPECT_TRUE(refused);
  auto store_state = [&] {
    std::pair<bool, std::string> out{true, "no answer"};
    self_->request(supervisor_, 5s, store_state_atom::value)
        .receive(
            [&](bool writable, const std::string& message) {
              out = {writable, message};
            },
            [&](const caf::error& err) { ADD_FAILURE() << error_message(err); });
    return out;
  };
  EXPECT_EQ(store_state(), std::make_pair(false, why)) << "readiness hears the same";

  self_->send(supervisor_, store_state_atom::value, true,
              std::string{"checkpoint store /d/checkpoint can be written"});
  EXPECT_TRUE(store_state().first);
  auto run_id = submit(test::mock_plan("p", 3, 1));
  ASSERT_FALSE(run_id.empty());
  EXPECT_EQ(await_end(run_id).state(), v1::RUN_STATE_SUCCEEDED);
}

}  // namespace
}  // namespace rad
