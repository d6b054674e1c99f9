// Protobuf messages between two real processes through CAF's middleman: a
// rad-node, and this test process (or radctl) as its peer.
#include <gtest/gtest.h>
#include <signal.h>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "rad/v1/cluster.pb.h"
#include "runtime/proto_bridge.h"
#include "runtime/protocol.h"
#include "runtime/system_config.h"
#include "runtime/trace.h"
#include "tests/support/process.h"

namespace rad::test {
namespace {

class ClusterLink : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_port();
    node_ = Process::start({{binary("rad-node"), "--node-name", "peer-1", "--cluster-port",
                             std::to_string(port_), "--max-agents", "17"},
                            {},
                            dir_.path()});
    ASSERT_TRUE(node_->wait_for_line(std::regex{"ready: node"})) << node_->err();
  }

  void TearDown() override {
    node_->signal(SIGTERM);
    EXPECT_EQ(node_->wait_exit(), 0) << node_->err();
  }

  TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Process> node_;
};

TEST_F(ClusterLink, PingPongBetweenTwoProcesses) {
  SystemConfig cfg;
  caf::actor_system sys{cfg};
  auto peer = sys.middleman().remote_actor("127.0.0.1", port_);
  ASSERT_TRUE(peer) << sys.render(peer.error());
  caf::scoped_actor self{sys};
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    v1::Ping ping;
    ping.set_seq(seq);
    auto traceparent = new_traceparent();
    ping.mutable_trace()->set_traceparent(traceparent);
    bool answered = false;
    self->request(*peer, std::chrono::seconds{5}, proto(ping))
        .receive(
            [&](const Proto<v1::Pong>& pong) {
              answered = true;
              EXPECT_EQ(pong.value.seq(), seq);
              EXPECT_EQ(pong.value.node().name(), "peer-1");
              EXPECT_EQ(pong.value.node().role(), v1::ROLE_ALL);
              EXPECT_EQ(pong.value.node().protocol_version(), kProtocolVersion);
              EXPECT_EQ(pong.value.node().capacity().max_agents(), 17u);
              EXPECT_EQ(pong.value.node().address(), "127.0.0.1:" + std::to_string(port_));
              // The node continues our trace with its own span.
              EXPECT_EQ(trace_id_of(pong.value.trace().traceparent()), trace_id_of(traceparent));
              EXPECT_NE(pong.value.trace().traceparent(), traceparent);
            },
            [&](const caf::error& err) { ADD_FAILURE() << sys.render(err); });
    EXPECT_TRUE(answered);
  }
}

TEST_F(ClusterLink, LargeMessageCrossesIntact) {
  SystemConfig cfg;
  caf::actor_system sys{cfg};
  auto peer = sys.middleman().remote_actor("127.0.0.1", port_);
  ASSERT_TRUE(peer) << sys.render(peer.error());
  caf::scoped_actor self{sys};
  // A 1 MiB traceparent is nonsense the node must survive and answer with a
  // fresh trace rather than echo.
  v1::Ping ping;
  ping.set_seq(99);
  ping.mutable_trace()->set_traceparent(std::string(1 << 20, 'z'));
  self->request(*peer, std::chrono::seconds{5}, proto(ping))
      .receive(
          [&](const Proto<v1::Pong>& pong) {
            EXPECT_EQ(pong.value.seq(), 99u);
            EXPECT_TRUE(valid_traceparent(pong.value.trace().traceparent()));
          },
          [&](const caf::error& err) { ADD_FAILURE() << sys.render(err); });
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
