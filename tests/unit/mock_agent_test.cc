// A mock agent names its attempt to its host by an id (actors/slot_table.h),
// and the host makes the result. An id that names no attempt of the host (a
// report that crossed a cancel, a stale generation of a reused slot) ends
// nothing; the attempt's own id ends it with its planned outcome.
#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <map>

#include "actors/agent_host.h"
#include "runtime/proto_bridge.h"
#include "runtime/system_config.h"
#include "tests/support/host_replies.h"

namespace rad {
namespace {

using namespace std::chrono_literals;

class MockAgentTest : public ::testing::Test {
 protected:
  ~MockAgentTest() override { caf::anon_send_exit(host_, caf::exit_reason::user_shutdown); }

  // One mock story of `duration_ms`, its result sent to this test.
  void spawn(const std::string& story, uint64_t duration_ms) {
    v1::SpawnBatch batch;
    auto* r = batch.add_requests();
    r->set_run_id("r1");
    r->set_attempt(1);
    r->mutable_story()->set_id(story);
    r->mutable_story()->mutable_mock()->set_duration_ms(duration_ms);
    r->mutable_story()->mutable_mock()->set_output_bytes(3);
    self_->request(host_, 5s, proto(std::move(batch)), ResultRoutes{})
        .receive(
            [](const Proto<v1::SpawnReply>& reply) {
              ASSERT_TRUE(reply.value.decisions(0).accepted());
            },
            [&](const caf::error& err) { ADD_FAILURE() << system_.render(err); });
  }

  SystemConfig config_;
  caf::actor_system system_{config_};
  caf::scoped_actor self_{system_};
  agent_host_actor host_ =
      spawn_agent_host(system_, {AgentContext{"n1", 1}, 100u, AgentMetrics::unscraped(), nullptr});
};

TEST_F(MockAgentTest, AReportWithAnIdOfNoAttemptHereEndsNothingAndTheAttemptsOwnIdEndsIt) {
  spawn("waits", 60000);  // the host's first attempt: slot 0, generation 1
  constexpr MockAgentId kWaits = (MockAgentId{1} << 32) | 0;
  constexpr MockAgentId kStale = (MockAgentId{2} << 32) | 0;  // the slot's next generation
  self_->send(host_, ended_atom::value, kStale, false);
  self_->send(host_, ended_atom::value, MockAgentId{0}, false);
  self_->send(host_, crashed_atom::value, MockAgentId{12345},
              caf::make_error(caf::sec::runtime_error));
  // Messages from one sender are handled in order: once this attempt's
  // result is here, the reports above were handled, and ended nothing.
  spawn("at-once", 0);
  auto first = test::results_by_story(self_, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first.begin()->first, "at-once");
  EXPECT_EQ(first.begin()->second.outcome(), v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(first.begin()->second.output(), "xxx");
  EXPECT_EQ(test::running_agents(self_, host_), 1u);

  self_->send(host_, ended_atom::value, kWaits, false);
  auto second = test::results_by_story(self_, 1);
  ASSERT_EQ(second.count("waits"), 1u);
  EXPECT_EQ(second["waits"].outcome(), v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(second["waits"].node_id(), "n1");
  EXPECT_EQ(test::running_agents(self_, host_), 0u);
}

}  // namespace
}  // namespace rad
