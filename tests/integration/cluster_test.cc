// Clusters of real rad-node processes on loopback: forming, failing, leaving,
// refusing. Every wait is for a log record or an exit, with a deadline.
#include "tests/support/cluster.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "client/api_client.h"
#include "rad/v1/cluster.pb.h"
#include "runtime/error.h"
#include "runtime/proto_bridge.h"
#include "runtime/protocol.h"
#include "runtime/trace.h"

namespace rad::test {
namespace {

using Cluster = ClusterFixture;

TEST_F(Cluster, ThreeNodesFormAndAgreeOnTheView) {
  coordinator();
  start({"w1"});
  start({"w2"});
  for (const char* n : {"coord", "w1", "w2"}) expect_log(n, kThreeUp);
  auto reference = view_of("coord");
  ASSERT_EQ(reference.members_size(), 3);
  for (const char* n : {"coord", "w1", "w2"}) {
    auto view = view_of(n);
    EXPECT_EQ(view.version(), reference.version()) << n;
    EXPECT_EQ(view.coordinator_id(), reference.coordinator_id()) << n;
    for (const char* m : {"coord", "w1", "w2"}) {
      EXPECT_EQ(member(view, m).state(), v1::MEMBER_STATE_UP) << n << " sees " << m;
      EXPECT_EQ(member(view, m).node().incarnation(), member(reference, m).node().incarnation());
    }
  }
  EXPECT_EQ(member(reference, "coord").node().role(), v1::ROLE_COORDINATOR);
  EXPECT_EQ(member(reference, "w1").node().role(), v1::ROLE_WORKER);
  auto table = run({{binary("radctl"), "--api", cluster_.api(), "nodes"}});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("NAME"), std::string::npos);
  EXPECT_EQ(std::count(table.out.begin(), table.out.end(), '\n'), 4) << table.out;
}

TEST_F(Cluster, KilledWorkerIsDownEverywhereAndRejoinsAsANewIncarnation) {
  coordinator();
  start({"w1"});
  start({"w2"});
  for (const char* n : {"coord", "w1", "w2"}) expect_log(n, kThreeUp);
  expect_killed_worker_down_then_back("w2", "w1");
}

TEST_F(Cluster, FrozenWorkerIsDownThenFencedAndRejoins) {
  coordinator();
  start({"w1"});
  expect_log("w1", R"(view v\d+: 2 members \(2 up\))");
  auto before = member(view_of("coord"), "w1").node().incarnation();
  node("w1").signal(SIGSTOP);
  expect_log("coord", "member w1 is now down");
  node("w1").signal(SIGCONT);
  expect_log("w1", "rejoining as incarnation");
  expect_log("coord", "member w1 is now up");
  auto after = member(view_of("coord"), "w1");
  EXPECT_EQ(after.state(), v1::MEMBER_STATE_UP);
  EXPECT_GT(after.node().incarnation(), before);
}

// SIGTERM always ends a node, with 0. A stopping node's actor system waits for
// the thread of its detached Pulse, which ends only once the Pulse's down
// message to the cluster link is gone: sent too late, it never was, and the
// process hung (actors/node.cc, Node::stop). Rare (a few stops in a hundred
// under load): so many stops, three workers at once, contending for the cores.
TEST_F(Cluster, EverySigtermedNodeExits) {
  coordinator();
  const std::vector<std::string> workers{"w1", "w2", "w3"};
  for (int round = 0; round < 20; ++round) {
    for (const auto& w : workers) start({w});
    for (const auto& w : workers) expect_log(w, "joined cluster 'rad'");
    for (const auto& w : workers) node(w).signal(SIGTERM);
    for (const auto& w : workers) {
      auto code = node(w).wait_exit(10s);
      ASSERT_TRUE(code) << w << " did not exit within 10 s of SIGTERM (round " << round << ")";
      EXPECT_EQ(*code, 0) << w << " (round " << round << "): " << node(w).err();
    }
  }
  node("coord").signal(SIGTERM);
  auto code = node("coord").wait_exit(10s);
  ASSERT_TRUE(code) << "the coordinator did not exit within 10 s of SIGTERM";
  EXPECT_EQ(*code, 0) << node("coord").err();
}

TEST_F(Cluster, GracefulLeaveIsLeftNotDown) {
  coordinator();
  start({"w1"});
  expect_log("w1", R"(view v\d+: 2 members \(2 up\))");
  node("w1").signal(SIGTERM);
  EXPECT_EQ(node("w1").wait_exit(), 0) << node("w1").err();
  expect_log("coord", "member w1 is now left");
  EXPECT_EQ(member(view_of("coord"), "w1").state(), v1::MEMBER_STATE_LEFT);
}

TEST_F(Cluster, WorkersSeeTheCoordinatorGoAndReconnectWhenItReturns) {
  coordinator();
  start({"w1"});
  expect_log("w1", "joined cluster 'rad'");
  node("coord").signal(SIGKILL);
  ASSERT_EQ(node("coord").wait_exit(), 128 + SIGKILL);
  expect_log("w1", "coordinator lost");
  coordinator();
  expect_log("w1", "joined cluster 'rad'");
  expect_log("coord", R"(view v\d+: 2 members \(2 up\))");
}

TEST_F(Cluster, HealthSaysLiveAndReadyAndWhyNot) {
  coordinator();
  start({"w1"});
  expect_log("w1", "joined cluster 'rad'");
  auto url = [&](const std::string& name) { return cluster_.http(name); };
  auto ready = api_request("GET", url("w1"), "/health/ready");
  ASSERT_TRUE(ready) << error_message(ready.error());
  auto body = nlohmann::json::parse(*ready);
  EXPECT_EQ(body["status"], "healthy");
  EXPECT_EQ(body["checks"]["cluster"]["status"], "healthy");
  EXPECT_EQ(body["checks"]["process"]["status"], "healthy");
  EXPECT_TRUE(body["checks"]["process"]["latency"].is_number());
  for (const char* check : {"process", "checkpoint", "cluster", "monitor"}) {
    EXPECT_EQ(body["checks"][check]["status"], "healthy") << check << ": " << body.dump();
    EXPECT_TRUE(body["checks"][check]["message"].is_string()) << check;
    EXPECT_TRUE(body["checks"][check]["latency"].is_number()) << check;
  }
  EXPECT_EQ(body["checks"]["checkpoint"]["message"], "a worker keeps no checkpoint");
  EXPECT_EQ(
      body["checks"]["monitor"]["message"].get<std::string>().rfind("admits new agents: cpu ", 0),
      0u)
      << body.dump();
  // ISO-8601, UTC.
  EXPECT_TRUE(std::regex_match(body["timestamp"].get<std::string>(),
                               std::regex{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)"}))
      << body["timestamp"];
  auto coord = api_request("GET", url("coord"), "/health");
  ASSERT_TRUE(coord) << error_message(coord.error());
  auto coord_body = nlohmann::json::parse(*coord);
  EXPECT_NE(coord_body["checks"]["checkpoint"]["message"].get<std::string>().find(
                "can be written; no recovery under way"),
            std::string::npos)
      << coord_body.dump();

  node("coord").signal(SIGKILL);
  expect_log("w1", "coordinator lost");
  auto not_ready = api_request("GET", url("w1"), "/health/ready");
  ASSERT_FALSE(not_ready);
  EXPECT_TRUE(is(not_ready.error(), Errc::unavailable))
      << "503: " << error_message(not_ready.error());
  EXPECT_NE(error_message(not_ready.error()).find("coordinator lost; reconnecting"),
            std::string::npos)
      << error_message(not_ready.error());
  EXPECT_TRUE(api_request("GET", url("w1"), "/health/live")) << "alive all the same";
}

TEST_F(Cluster, ForeignNodesAreRefusedOnBothSides) {
  start({"coord", "coordinator", {{"RAD_CLUSTER_SECRET", "right"}}});
  expect_log("coord", "ready: node");
  auto& other_name =
      start({"x1", "worker", {{"RAD_CLUSTER_NAME", "other"}, {"RAD_CLUSTER_SECRET", "right"}}});
  EXPECT_EQ(other_name.wait_exit(), 2);
  EXPECT_NE(other_name.err().find("refused by the coordinator at 127.0.0.1:"), std::string::npos)
      << other_name.err();
  EXPECT_NE(other_name.err().find("cluster name 'other' differs"), std::string::npos);
  expect_log("coord", "refused node x1 .*cluster name 'other'");

  auto& wrong_secret = start({"x2", "worker", {{"RAD_CLUSTER_SECRET", "wrong"}}});
  EXPECT_EQ(wrong_secret.wait_exit(), 2);
  EXPECT_NE(wrong_secret.err().find("cluster secret does not match"), std::string::npos)
      << wrong_secret.err();
  expect_log("coord", "refused node x2 .*cluster secret does not match");
  EXPECT_EQ(view_of("coord").members_size(), 1) << "nobody foreign got in";
}

TEST_F(Cluster, NodesOfAnotherProtocolVersionAreRefusedOnBothSides) {
  coordinator();
  expect_log("coord", "ready: node");
  // This test plays a node of a future version over the real cluster link.
  v1::JoinRequest join;
  join.mutable_node()->set_node_id("future-node-id");
  join.mutable_node()->set_name("future");
  join.mutable_node()->set_incarnation(1);
  join.set_cluster_name("rad");
  join.set_protocol_version(kProtocolVersion + 1);
  join.mutable_trace()->set_traceparent(new_traceparent());
  v1::JoinReply reply;
  caf::scoped_actor self{client()};
  self->request(remote("coord"), 5s, proto(join))
      .receive([&](const Proto<v1::JoinReply>& r) { reply = r.value; },
               [&](const caf::error& err) { ADD_FAILURE() << client().render(err); });
  EXPECT_FALSE(reply.accepted());
  EXPECT_NE(reply.refusal().find("protocol version " + std::to_string(kProtocolVersion + 1)),
            std::string::npos)
      << reply.refusal();
  expect_log("coord", "refused node future .*protocol version");
  EXPECT_EQ(view_of("coord").members_size(), 1);
  // The answer continues the request's trace, as every envelope carries one.
  EXPECT_TRUE(valid_traceparent(reply.trace().traceparent())) << reply.ShortDebugString();
  EXPECT_EQ(trace_id_of(reply.trace().traceparent()), trace_id_of(join.trace().traceparent()));
}

TEST_F(Cluster, UnexpectedMessagesAndStrayErrorsFromPeersAreLoggedNotFatal) {
  coordinator();
  start({"w1"});
  expect_log("coord", R"(view v\d+: 2 members \(2 up\))");
  auto coord = remote("coord");
  {
    caf::scoped_actor self{client()};
    self->send(coord, std::string{"not a rad message"});
    self->send(coord, caf::make_error(caf::sec::runtime_error));
    // A request of an unknown kind is answered with an error, not left to time out.
    self->request(coord, 5s, 42)
        .receive([](int) { ADD_FAILURE() << "answered an unknown request"; },
                 [](const caf::error& err) { EXPECT_EQ(err, caf::sec::unexpected_message); });
  }
  expect_log("coord", "dropped an unexpected message \\(@str\\)");
  expect_log("coord", "ignored an error nobody awaited");
  // Still the coordinator: members come and are seen.
  start({"w2"});
  expect_log("coord", kThreeUp);
}

TEST_F(Cluster, UnreachableSeedIsRetriedThenFailsWithExitThree) {
  add({"coord", "coordinator"});  // its ports, where nothing listens
  auto& w = start({"w1", "worker", {{"RAD_CLUSTER_JOIN_TIMEOUT_MS", "500"}}});
  EXPECT_EQ(w.wait_exit(), 3);
  EXPECT_NE(w.err().find("cannot join the cluster: no seed answered within 500 ms"),
            std::string::npos)
      << w.err();
  auto err = w.err();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
}

TEST_F(Cluster, RolesAndSeedsMustFit) {
  auto worker = run({{binary("rad-node"), "--role", "worker", "--data-dir", dir_.path() + "/a"}});
  EXPECT_EQ(worker.exit_code, 2);
  EXPECT_EQ(worker.err,
            "rad-node: a worker needs --join HOST:PORT, the cluster port of the coordinator\n");
  auto coord = run({{binary("rad-node"), "--role", "coordinator", "--join", "127.0.0.1:7070",
                     "--data-dir", dir_.path() + "/b"}});
  EXPECT_EQ(coord.exit_code, 2);
  EXPECT_NE(coord.err.find("--join is for workers"), std::string::npos) << coord.err;
  auto nobody = run(
      {{binary("radctl"), "--api", "http://127.0.0.1:" + std::to_string(free_port()), "nodes"}});
  EXPECT_EQ(nobody.exit_code, 3);
  EXPECT_NE(nobody.err.find("cannot reach the cluster at http://127.0.0.1:"), std::string::npos);
}

}  // namespace
}  // namespace rad::test
