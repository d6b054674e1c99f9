// A fixture of real rad-node processes on loopback: start, restart and signal
// nodes, await their log records, read their views through radctl, and talk
// to them over the cluster link as a CAF client.
#pragma once

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include "harness/process.h"
#include "rad/v1/cluster.pb.h"
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

  struct Ports {
    uint16_t cluster, http, metrics;
  };

  // Starts (or restarts, on the same ports and data dir) a node. Workers join the coordinator.
  Process& start(const NodeSpec& spec) {
    auto& ports =
        ports_.try_emplace(spec.name, Ports{free_port(), free_port(), free_port()}).first->second;
    ProcessOptions o;
    o.argv = launcher(spec.name);
    o.argv.insert(o.argv.end(),
                  {binary("rad-node"), "--bind", host_of(spec.name), "--role", spec.role,
                   "--node-name", spec.name, "--data-dir", spec.name, "--cluster-port",
                   std::to_string(ports.cluster), "--http-port", std::to_string(ports.http),
                   "--metrics-port", std::to_string(ports.metrics)});
    if (spec.role == "worker") {
      o.argv.push_back("--join");
      o.argv.push_back(host_of("coord") + ":" + std::to_string(ports_.at("coord").cluster));
    }
    o.env = spec.env;
    o.cwd = dir_.path();
    auto& slot = nodes_[spec.name];
    if (slot) retired_.emplace_back(spec.name, std::move(slot));
    slot = Process::start(o);
    return *slot;
  }

  // With RAD_TEST_LOGS=DIR, a failed test leaves the output of every node
  // process it started in DIR/TEST/NAME-N.log (N counts restarts).
  void TearDown() override {
    const char* logs = std::getenv("RAD_TEST_LOGS");
    if (!logs || !HasFailure()) return;
    auto dir = std::filesystem::path{logs} /
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir);
    std::map<std::string, int> count;
    auto keep = [&](const std::string& name, const Process& p) {
      std::ofstream{dir / (name + "-" + std::to_string(count[name]++) + ".log")} << p.out()
                                                                                 << p.err();
    };
    for (const auto& [name, p] : retired_) keep(name, *p);
    for (const auto& [name, p] : nodes_)
      if (p) keep(name, *p);
  }

  Process& coordinator() { return start({"coord", "coordinator"}); }

  Process& node(const std::string& name) { return *nodes_.at(name); }

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
                  {binary("radctl"), "--api",
                   "http://" + host_of(name) + ":" + std::to_string(ports_.at(name).http), "nodes",
                   "--json"});
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

  // The NodeAgent of `name`, reached over the cluster link.
  caf::actor remote(const std::string& name) {
    auto agent = client().middleman().remote_actor("127.0.0.1", ports_.at(name).cluster);
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

  TempDir dir_;
  std::map<std::string, Ports> ports_;
  std::map<std::string, std::unique_ptr<Process>> nodes_;
  // Processes a restart replaced, in order: their output is still wanted.
  std::vector<std::pair<std::string, std::unique_ptr<Process>>> retired_;
  std::unique_ptr<SystemConfig> client_config_;
  std::unique_ptr<caf::actor_system> client_;
};

inline const char* kThreeUp = R"(view v\d+: 3 members \(3 up\))";

}  // namespace rad::test
