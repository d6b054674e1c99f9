// The cluster tests again, each node in a network namespace of its own with a
// veth link to a private bridge, when the tests run as root: forming, kill -9,
// graceful leave, refusal, and a partition made by taking a link down, then
// healed. Skipped (with the reason) where namespaces cannot be made.
#include <gtest/gtest.h>
#include <signal.h>

#include "chaos/netns_lab.h"
#include "tests/support/cluster.h"

namespace rad::test {
namespace {

class Netns : public ClusterFixture {
 protected:
  void SetUp() override {
    static const auto why_not = NetnsLab::unavailable();
    if (why_not) GTEST_SKIP() << "network namespaces unavailable: " << *why_not;
    std::string error;
    lab_ = NetnsLab::create(&error);
    ASSERT_TRUE(lab_) << error;
    for (const char* name : {"coord", "w1", "w2", "x1"}) {
      auto address = lab_->add_node(name);
      ASSERT_FALSE(address.empty()) << "cannot add namespace for " << name;
      addresses_[name] = address;
    }
  }

  void TearDown() override {
    cluster_.kill();  // the processes go before their namespaces
    lab_.reset();
  }

  std::string host_of(const std::string& name) override { return addresses_.at(name); }
  std::vector<std::string> launcher(const std::string& name) override {
    return lab_->exec_in(name);
  }

  void form_three() {
    coordinator();
    start({"w1"});
    start({"w2"});
    for (const char* n : {"coord", "w1", "w2"}) expect_log(n, kThreeUp);
  }

  std::unique_ptr<NetnsLab> lab_;
  std::map<std::string, std::string> addresses_;
};

TEST_F(Netns, ThreeNodesFormAndAgreeOnTheView) {
  form_three();
  auto reference = view_of("coord");
  ASSERT_EQ(reference.members_size(), 3);
  for (const char* n : {"w1", "w2"}) {
    auto view = view_of(n);
    EXPECT_EQ(view.version(), reference.version()) << n;
    EXPECT_EQ(member(view, "w2").node().address(),
              addresses_["w2"] + ":" + std::to_string(ports("w2").cluster));
    for (const char* m : {"coord", "w1", "w2"})
      EXPECT_EQ(member(view, m).state(), v1::MEMBER_STATE_UP) << n << " sees " << m;
  }
}

TEST_F(Netns, KilledWorkerIsDownEverywhereAndRejoins) {
  form_three();
  expect_killed_worker_down_then_back("w2", "w1");
}

TEST_F(Netns, PartitionedWorkerIsDownEverywhereAndRejoinsWhenHealed) {
  form_three();
  auto before = member(view_of("coord"), "w2").node().incarnation();
  ASSERT_TRUE(lab_->cut("w2"));
  expect_log("coord", "member w2 is now down");
  expect_log("w1", "member w2 is now down");
  expect_log("w2", "coordinator lost");
  ASSERT_TRUE(lab_->heal("w2"));
  expect_log("w2", "joined cluster 'rad'", 15s);
  expect_log("coord", "member w2 is now up");
  auto after = member(view_of("coord"), "w2");
  EXPECT_EQ(after.state(), v1::MEMBER_STATE_UP);
  EXPECT_GT(after.node().incarnation(), before) << "a cut-off node comes back as a new incarnation";
}

TEST_F(Netns, GracefulLeaveIsLeftNotDown) {
  form_three();
  node("w1").signal(SIGTERM);
  EXPECT_EQ(node("w1").wait_exit(), 0) << node("w1").err();
  expect_log("coord", "member w1 is now left");
  expect_log("w2", "member w1 is now left");
}

TEST_F(Netns, ForeignNodeIsRefusedOnBothSides) {
  coordinator();
  expect_log("coord", "ready: node");
  auto& foreign = start({"x1", "worker", {{"RAD_CLUSTER_NAME", "other"}}});
  EXPECT_EQ(foreign.wait_exit(), 2);
  EXPECT_NE(foreign.err().find("cluster name 'other' differs"), std::string::npos) << foreign.err();
  expect_log("coord", "refused node x1 .*cluster name 'other'");
}

}  // namespace
}  // namespace rad::test
