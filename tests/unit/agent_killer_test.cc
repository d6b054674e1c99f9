// The agent killer as an AgentHost's observer: the agents it kills end FAILED
// at their host as crashed ones do, the others run on, and a killed attempt
// is not chosen again.
#include "faults/agent_killer.h"

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

class AgentKillerTest : public ::testing::Test {
 protected:
  ~AgentKillerTest() override {
    killer_->kill(1, 1);  // the mock agents wait for a minute otherwise
    caf::anon_send_exit(host_, caf::exit_reason::user_shutdown);
  }

  // Mock agents that run for a minute, their results sent to this test.
  void spawn(int stories) {
    v1::SpawnBatch batch;
    for (int i = 0; i < stories; ++i) {
      auto* r = batch.add_requests();
      r->set_run_id("r1");
      r->set_attempt(1);
      r->mutable_story()->set_id("s" + std::to_string(i));
      r->mutable_story()->mutable_mock()->set_duration_ms(60000);
    }
    self_->request(host_, 5s, proto(std::move(batch)), ResultRoutes{})
        .receive([](const Proto<v1::SpawnReply>&) {},
                 [&](const caf::error& err) { ADD_FAILURE() << system_.render(err); });
  }

  uint32_t running() { return test::running_agents(self_, host_); }

  std::map<std::string, v1::StoryResult> results(size_t n) {
    return test::results_by_story(self_, n);
  }

  SystemConfig config_;
  caf::actor_system system_{config_};
  caf::scoped_actor self_{system_};
  std::shared_ptr<AgentKiller> killer_ = std::make_shared<AgentKiller>();
  agent_host_actor host_ =
      spawn_agent_host(system_, {AgentContext{"n1", 1}, 100u, AgentMetrics::unscraped(), killer_});
};

TEST_F(AgentKillerTest, KilledAgentsEndFailedAsCrashedAndTheOthersRunOn) {
  spawn(10);
  EXPECT_EQ(killer_->kill(0.5, 7), 5u);
  auto killed = results(5);
  ASSERT_EQ(killed.size(), 5u);
  for (const auto& [story, r] : killed) {
    EXPECT_EQ(r.outcome(), v1::OUTCOME_FAILED) << story;
    EXPECT_NE(r.error().find("agent crashed"), std::string::npos) << r.error();
  }
  EXPECT_EQ(running(), 5u);
  EXPECT_EQ(killer_->kill(1, 7), 5u) << "only those still running are chosen";
  auto rest = results(5);
  ASSERT_EQ(rest.size(), 5u);
  for (const auto& [story, r] : rest) EXPECT_EQ(killed.count(story), 0u) << story;
}

TEST_F(AgentKillerTest, TheSameSeedChoosesTheSameAgents) {
  spawn(10);
  auto first = killer_->kill(0.3, 42);
  auto chosen = results(first);
  // The same ten again: the seed picks the same stories.
  killer_->kill(1, 1);
  results(10 - first);
  spawn(10);
  EXPECT_EQ(killer_->kill(0.3, 42), first);
  auto again = results(first);
  ASSERT_EQ(again.size(), chosen.size());
  for (const auto& [story, r] : chosen) EXPECT_EQ(again.count(story), 1u) << story;
}

TEST_F(AgentKillerTest, NothingRunsNothingIsKilled) {
  EXPECT_EQ(killer_->kill(1, 1), 0u);
  spawn(3);
  EXPECT_EQ(killer_->kill(0, 1), 0u);
}

}  // namespace
}  // namespace rad
