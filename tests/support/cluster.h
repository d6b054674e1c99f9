// A fixture of real rad-node processes on loopback (a LocalCluster): start,
// restart and signal nodes, await their log records, read their views through
// radctl, and talk to them over the cluster link as a CAF client.
#pragma once

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include "harness/local_cluster.h"
#include "harness/process.h"
#include "rad/v1/cluster.pb.h"
#include "runtime/error.h"
#include "runtime/system_config.h"

namespace rad::test {

struct NodeSpec {
  std::string name;
  std::string role = "worker";
  std::map<std::string, std::string> env = {};
};

class ClusterFixture : public ::testing::Test {
 protected:
  // Where node `name` listens, and the command its processes run under:
  // loopback and none here; the network-namespace tests override both.
  virtual std::string host_of(const std::string&) { return "127.0.0.1"; }
  virtual std::vector<std::string> launcher(const std::string&) { return {}; }

  // Starts (or restarts, on the same ports and data dir) a node. Workers join the coordinator.
  Process& start(const NodeSpec& spec) {
    if (auto err = cluster_.start_node(node_options(spec)))
      throw std::runtime_error(error_message(err));
    return node(spec.name);
  }

  // Chooses a node's ports and data dir, and starts nothing.
  void add(const NodeSpec& spec) { cluster_.add(node_options(spec)); }

  // With RAD_TEST_LOGS=DIR, a failed test leaves the output of every node
  // process it started in DIR/TEST/NAME.log (every process of the node, oldest
  // first).
  void TearDown() override {
    const char* logs = std::getenv("RAD_TEST_LOGS");
    if (!logs || !HasFailure()) return;
    cluster_.write_logs(std::string{logs} + "/" +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  Process& coordinator() { return start({"coord", "coordinator"}); }

  Process& node(const std::string& name) { return cluster_.process(name); }
  const LocalCluster::Ports& ports(const std::string& name) { return cluster_.ports(name); }

  // Waits until `name` logs a record whose message matches `pattern`.
  void expect_log(const std::string& name, const std::string& pattern,
                  std::chrono::milliseconds timeout = 10s) {
    auto line = node(name).wait_for_line(std::regex{pattern}, timeout);
    ASSERT_TRUE(line) << name << " never logged /" << pattern << "/\nstdout:\n"
                      << node(name).out() << "\nstderr:\n"
                      << node(name).err();
  }

  v1::MembershipView view_of(const std::string& name) {
    ProcessOptions o;
    o.argv = launcher(name);
    o.argv.insert(o.argv.end(),
                  {binary("radctl"), "--api", cluster_.http(name), "nodes", "--json"});
    auto r = run(o);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    v1::MembershipView view;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &view).ok()) << r.out;
    return view;
  }

  // kill -9 of `victim`: down on the coordinator and on `witness`; restarted,
  // it is back as a new incarnation that replaces the old one.
  void expect_killed_worker_down_then_back(const std::string& victim, const std::string& witness) {
    auto before = member(view_of("coord"), victim).node().incarnation();
    node(victim).signal(SIGKILL);
    ASSERT_EQ(node(victim).wait_exit(), 128 + SIGKILL);
    expect_log("coord", "member " + victim + " is now down");
    expect_log(witness, "member " + victim + " is now down");

    start({victim});
    expect_log("coord", "node " + victim + " rejoined as incarnation");
    expect_log(witness, "member " + victim + " is now up");
    auto view = view_of(witness);
    EXPECT_EQ(member(view, victim).state(), v1::MEMBER_STATE_UP);
    EXPECT_GT(member(view, victim).node().incarnation(), before);
    EXPECT_EQ(view.members_size(), 3) << "the new incarnation replaces the old one";
  }

  static const v1::Member& member(const v1::MembershipView& view, const std::string& name) {
    for (const auto& m : view.members())
      if (m.node().name() == name) return m;
    static v1::Member none;
    ADD_FAILURE() << "no member " << name << " in " << view.ShortDebugString();
    return none;
  }

  // The membership actor of `name`, reached over the cluster link.
  caf::actor remote(const std::string& name) {
    auto agent = client().middleman().remote_actor("127.0.0.1", ports(name).cluster);
    EXPECT_TRUE(agent) << name << ": " << client_->render(agent.error());
    return agent ? *agent : caf::actor{};
  }

  // This test's own actor system, a client of the cluster.
  caf::actor_system& client() {
    if (!client_) {
      client_config_ = std::make_unique<SystemConfig>();
      client_ = std::make_unique<caf::actor_system>(*client_config_);
    }
    return *client_;
  }

  TempDir dir_;  // the nodes' data dirs, and files of the test
  LocalCluster cluster_{in(dir_)};
  std::unique_ptr<SystemConfig> client_config_;
  std::unique_ptr<caf::actor_system> client_;

 private:
  static LocalClusterOptions in(const TempDir& dir) {
    LocalClusterOptions o;
    o.work_dir = dir.path();
    return o;
  }
  LocalNodeOptions node_options(const NodeSpec& spec) {
    return {spec.name, spec.role, spec.env, {}, host_of(spec.name), launcher(spec.name)};
  }
};

inline const char* kThreeUp = R"(view v\d+: 3 members \(3 up\))";

}  // namespace rad::test
