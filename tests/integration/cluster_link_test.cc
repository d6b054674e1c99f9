// Protobuf messages between two real processes through CAF's middleman: a
// rad-node, and this test process (or radctl) as its peer.
#include <gtest/gtest.h>
#include <signal.h>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "harness/process.h"
#include "rad/v1/cluster.pb.h"
#include "runtime/proto_bridge.h"
#include "runtime/protocol.h"
#include "runtime/system_config.h"
#include "runtime/trace.h"

namespace rad::test {
namespace {

class ClusterLink : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_port();
    node_ = Process::start(
        {{binary("rad-node"), "--node-name", "peer-1", "--cluster-port", std::to_string(port_),
          "--max-agents", "17", "--http-port", std::to_string(free_port()), "--metrics-port",
          std::to_string(free_port())},
         {},
         dir_.path()});
    ASSERT_TRUE(node_->wait_for_line(std::regex{"ready: node"})) << node_->err();
  }

  void TearDown() override {
    node_->signal(SIGTERM);
    EXPECT_EQ(node_->wait_exit(), 0) << node_->err();
  }

  // The node's Pong to `ping`, sent from this process through the middleman.
  std::optional<v1::Pong> exchange(const v1::Ping& ping) {
    auto peer = sys_.middleman().remote_actor("127.0.0.1", port_);
    if (!peer) {
      ADD_FAILURE() << sys_.render(peer.error());
      return std::nullopt;
    }
    std::optional<v1::Pong> answer;
    caf::scoped_actor self{sys_};
    self->request(*peer, std::chrono::seconds{5}, proto(ping))
        .receive([&](const Proto<v1::Pong>& pong) { answer = pong.value; },
                 [&](const caf::error& err) { ADD_FAILURE() << sys_.render(err); });
    return answer;
  }

  TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Process> node_;
  SystemConfig cfg_;
  caf::actor_system sys_{cfg_};
};

TEST_F(ClusterLink, PingPongBetweenTwoProcesses) {
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    v1::Ping ping;
    ping.set_seq(seq);
    auto traceparent = new_traceparent();
    ping.mutable_trace()->set_traceparent(traceparent);
    auto pong = exchange(ping);
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->seq(), seq);
    EXPECT_EQ(pong->node().name(), "peer-1");
    EXPECT_EQ(pong->node().role(), v1::ROLE_ALL);
    EXPECT_EQ(pong->node().protocol_version(), kProtocolVersion);
    EXPECT_EQ(pong->node().capacity().max_agents(), 17u);
    EXPECT_EQ(pong->node().address(), "127.0.0.1:" + std::to_string(port_));
    // The node continues our trace with its own span.
    EXPECT_EQ(trace_id_of(pong->trace().traceparent()), trace_id_of(traceparent));
    EXPECT_NE(pong->trace().traceparent(), traceparent);
  }
}

TEST_F(ClusterLink, LargeMessageCrossesIntact) {
  // A 1 MiB traceparent is nonsense the node must survive and answer with a
  // fresh trace rather than echo.
  v1::Ping ping;
  ping.set_seq(99);
  ping.mutable_trace()->set_traceparent(std::string(1 << 20, 'z'));
  auto pong = exchange(ping);
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->seq(), 99u);
  EXPECT_TRUE(valid_traceparent(pong->trace().traceparent()));
}

TEST_F(ClusterLink, RadctlPingsTheNode) {
  auto r = run(
      {{binary("radctl"), "ping", "127.0.0.1:" + std::to_string(port_), "--count", "2", "--json"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream out{r.out};
  int pongs = 0;
  for (std::string line; std::getline(out, line); ++pongs) {
    auto pong = nlohmann::json::parse(line);
    EXPECT_EQ(pong["node"]["name"], "peer-1");
    EXPECT_EQ(pong["seq"], std::to_string(pongs + 1));  // uint64 is a string in protobuf JSON
  }
  EXPECT_EQ(pongs, 2);
}

TEST(ClusterLinkDown, RadctlPingOfNobodyExitsThree) {
  auto r = run({{binary("radctl"), "ping", "127.0.0.1:" + std::to_string(free_port())}});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("cannot reach node at 127.0.0.1:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace rad::test
