#include "actors/membership_table.h"

#include <gtest/gtest.h>

#include "runtime/protocol.h"

namespace rad {
namespace {

using namespace std::chrono_literals;

v1::NodeInfo node(const std::string& name, uint64_t incarnation, const std::string& id = "") {
  v1::NodeInfo n;
  n.set_node_id(id.empty() ? name + "#" + std::to_string(incarnation) : id);
  n.set_name(name);
  n.set_address(name + ":7070");
  n.set_incarnation(incarnation);
  n.set_role(v1::ROLE_WORKER);
  return n;
}

class MembershipTableTest : public ::testing::Test {
 protected:
  MembershipTableTest() : table_(coordinator(), options()) {}

  static v1::NodeInfo coordinator() {
    auto c = node("coord", 1);
    c.set_role(v1::ROLE_COORDINATOR);
    return c;
  }
  static MembershipOptions options() { return {"rad", "s3cret"}; }

  v1::JoinRequest request(const v1::NodeInfo& n, const std::string& secret = "s3cret") {
    v1::JoinRequest r;
    *r.mutable_node() = n;
    r.set_cluster_name("rad");
    r.set_secret_proof(MembershipTable::secret_proof(secret, n.node_id()));
    r.set_protocol_version(kProtocolVersion);
    return r;
  }

  v1::Heartbeat beat(const v1::NodeInfo& n) {
    v1::Heartbeat hb;
    hb.set_node_id(n.node_id());
    hb.set_incarnation(n.incarnation());
    return hb;
  }

  v1::MemberState state_of(const v1::NodeInfo& n) { return table_.find(n.node_id())->state(); }

  MembershipTable table_;
};

TEST_F(MembershipTableTest, AdmitsAMatchingNodeAndBumpsTheVersion) {
  auto before = table_.view().version();
  auto w1 = node("w1", 10);
  auto d = table_.join(request(w1));
  EXPECT_TRUE(d.accepted) << d.refusal;
  EXPECT_EQ(table_.view().members_size(), 2);
  EXPECT_EQ(state_of(w1), v1::MEMBER_STATE_UP);
  EXPECT_GT(table_.view().version(), before);
  EXPECT_EQ(table_.view().coordinator_id(), "coord#1");
}

TEST_F(MembershipTableTest, RefusesForeignClusterSecretAndProtocol) {
  auto w = node("w", 1);
  auto foreign = request(w);
  foreign.set_cluster_name("other");
  EXPECT_EQ(
      table_.join(foreign).refusal,
      "cluster name 'other' differs from the coordinator's 'rad'; set the same cluster.name on "
      "every node");
  auto wrong_secret = table_.join(request(w, "guess"));
  EXPECT_FALSE(wrong_secret.accepted);
  EXPECT_NE(wrong_secret.refusal.find("cluster secret does not match"), std::string::npos);
  auto no_secret = table_.join(request(w, ""));
  EXPECT_FALSE(no_secret.accepted);
  auto old = request(w);
  old.set_protocol_version(kProtocolVersion + 1);
  EXPECT_NE(table_.join(old).refusal.find("protocol version"), std::string::npos);
  EXPECT_EQ(table_.view().members_size(), 1) << "nobody was admitted";
}

TEST_F(MembershipTableTest, SuspectIsRevivedButDownIsFinalForTheIncarnation) {
  auto w = node("w", 1);
  ASSERT_TRUE(table_.join(request(w)).accepted);
  EXPECT_TRUE(table_.suspect(w.node_id(), "no heartbeat for 300 ms"));
  EXPECT_FALSE(table_.suspect(w.node_id(), "again")) << "already suspect";
  EXPECT_EQ(state_of(w), v1::MEMBER_STATE_SUSPECT);
  EXPECT_EQ(table_.heartbeat(beat(w)), MembershipTable::Heard::current);
  EXPECT_EQ(state_of(w), v1::MEMBER_STATE_SUSPECT) << "the Pulse, not a heartbeat, revives";
  EXPECT_TRUE(table_.revive(w.node_id()));
  EXPECT_EQ(state_of(w), v1::MEMBER_STATE_UP);
  EXPECT_TRUE(table_.mark_down(w.node_id(), "no heartbeat for 600 ms"));
  EXPECT_FALSE(table_.revive(w.node_id()));
  EXPECT_EQ(table_.find(w.node_id())->reason(), "no heartbeat for 600 ms");
  // A down member's heartbeats do not revive it: it must come back as a new incarnation.
  EXPECT_EQ(table_.heartbeat(beat(w)), MembershipTable::Heard::declared_down);
  EXPECT_EQ(state_of(w), v1::MEMBER_STATE_DOWN);
  // The coordinator is never suspect.
  EXPECT_FALSE(table_.suspect("coord#1", "silent"));
  EXPECT_EQ(table_.find("coord#1")->state(), v1::MEMBER_STATE_UP);
}

TEST_F(MembershipTableTest, DownIncarnationIsFencedUntilItReincarnates) {
  auto w = node("w", 5, "w-process");
  ASSERT_TRUE(table_.join(request(w)).accepted);
  ASSERT_TRUE(table_.mark_down(w.node_id(), "connection lost"));
  auto again = table_.join(request(w));
  EXPECT_FALSE(again.accepted);
  EXPECT_TRUE(again.fenced);
  w.set_incarnation(6);  // same process, new incarnation
  EXPECT_TRUE(table_.join(request(w)).accepted);
  EXPECT_EQ(state_of(w), v1::MEMBER_STATE_UP);
  EXPECT_EQ(table_.find(w.node_id())->node().incarnation(), 6u);
}

TEST_F(MembershipTableTest, RestartedNodeReplacesItsOldIncarnation) {
  auto old = node("w", 5);
  ASSERT_TRUE(table_.join(request(old)).accepted);
  ASSERT_TRUE(table_.mark_down(old.node_id(), "connection lost"));
  auto fresh = node("w", 9);
  auto d = table_.join(request(fresh));
  EXPECT_TRUE(d.accepted) << d.refusal;
  EXPECT_EQ(d.replaced, old.node_id());
  EXPECT_EQ(table_.view().members_size(), 2);
  EXPECT_EQ(table_.find(old.node_id()), nullptr);
  // Messages of the old incarnation are dropped.
  EXPECT_EQ(table_.heartbeat(beat(old)), MembershipTable::Heard::unknown);
  auto stale = beat(fresh);
  stale.set_incarnation(5);
  EXPECT_EQ(table_.heartbeat(stale), MembershipTable::Heard::stale_incarnation);
  // An older incarnation cannot come back after a newer one.
  EXPECT_FALSE(table_.join(request(node("w", 7))).accepted);
}

TEST_F(MembershipTableTest, LiveNameAtAnotherAddressIsRefused) {
  ASSERT_TRUE(table_.join(request(node("w", 1))).accepted);
  auto twin = node("w", 2);
  twin.set_address("elsewhere:7070");
  auto d = table_.join(request(twin));
  EXPECT_FALSE(d.accepted);
  EXPECT_NE(d.refusal.find("is taken by a live member at w:7070"), std::string::npos) << d.refusal;
}

TEST_F(MembershipTableTest, LeaveIsLeftNotDown) {
  auto w = node("w", 1);
  ASSERT_TRUE(table_.join(request(w)).accepted);
  EXPECT_FALSE(table_.leave(w.node_id(), 2, "bye")) << "wrong incarnation";
  EXPECT_TRUE(table_.leave(w.node_id(), 1, "bye"));
  EXPECT_EQ(state_of(w), v1::MEMBER_STATE_LEFT);
  EXPECT_FALSE(table_.mark_down(w.node_id(), "lost")) << "a left member is never declared down";
  EXPECT_EQ(state_of(w), v1::MEMBER_STATE_LEFT);
}

TEST_F(MembershipTableTest, DrainingIsLiveButNotUpAndThenLeaves) {
  auto w = node("w", 1);
  ASSERT_TRUE(table_.join(request(w)).accepted);
  EXPECT_TRUE(table_.drain(w.node_id(), 1, "draining"));
  EXPECT_FALSE(table_.drain(w.node_id(), 1, "again")) << "already draining";
  EXPECT_EQ(state_of(w), v1::MEMBER_STATE_DRAINING);
  EXPECT_EQ(table_.heartbeat(beat(w)), MembershipTable::Heard::current);
  EXPECT_EQ(state_of(w), v1::MEMBER_STATE_DRAINING) << "a heartbeat does not make it up again";
  EXPECT_TRUE(table_.leave(w.node_id(), 1, "bye"));
  EXPECT_EQ(state_of(w), v1::MEMBER_STATE_LEFT);
}

TEST_F(MembershipTableTest, OnlyAChangedAdmissionVerdictChangesTheView) {
  auto w = node("w", 1);
  ASSERT_TRUE(table_.join(request(w)).accepted);
  auto with_stats = [&](bool admits) {
    auto hb = beat(w);
    hb.mutable_stats()->set_admits(admits);
    hb.mutable_stats()->set_cpu_percent(admits ? 10 : 99);
    EXPECT_EQ(table_.heartbeat(hb), MembershipTable::Heard::current);
    return table_.view().version();
  };
  auto v0 = table_.view().version();
  EXPECT_EQ(with_stats(true), v0) << "first stats, admitting: nothing to tell";
  EXPECT_EQ(with_stats(true), v0);
  auto v1 = with_stats(false);
  EXPECT_GT(v1, v0) << "it refuses now: placement must know";
  EXPECT_EQ(table_.find(w.node_id())->stats().cpu_percent(), 99);
  EXPECT_EQ(with_stats(false), v1);
  EXPECT_GT(with_stats(true), v1);
}

// A cluster that lives for months sees many nodes come and go: the view
// keeps the live ones and only the newest departures.
TEST_F(MembershipTableTest, DepartedMembersAreKeptUpToACap) {
  constexpr int kGone = 200;
  for (int i = 0; i < kGone; ++i) {
    auto w = node("autoscaled-" + std::to_string(i), 1);
    ASSERT_TRUE(table_.join(request(w)).accepted);
    if (i % 2 == 0)
      ASSERT_TRUE(table_.mark_down(w.node_id(), "connection lost"));
    else
      ASSERT_TRUE(table_.leave(w.node_id(), 1, "bye"));
  }
  auto live = node("live", 1);
  ASSERT_TRUE(table_.join(request(live)).accepted);
  EXPECT_EQ(table_.view().members_size(), 2 + static_cast<int>(MembershipTable::kDepartedKept))
      << "the coordinator, the live worker and the newest departures";
  EXPECT_EQ(table_.take_dropped().size(), kGone - MembershipTable::kDepartedKept);
  EXPECT_TRUE(table_.take_dropped().empty()) << "each dropped id is told once";
  EXPECT_EQ(table_.find(node("autoscaled-0", 1).node_id()), nullptr) << "the oldest went first";
  EXPECT_NE(table_.find(node("autoscaled-199", 1).node_id()), nullptr);
  EXPECT_EQ(state_of(live), v1::MEMBER_STATE_UP);
}

// A worker restarted under its name, 200 times, is one member.
TEST_F(MembershipTableTest, ARestartedWorkerIsOneMemberHoweverOftenItRestarts) {
  for (uint64_t incarnation = 1; incarnation <= 200; ++incarnation) {
    auto w = node("w1", incarnation);
    ASSERT_TRUE(table_.join(request(w)).accepted) << incarnation;
    if (incarnation % 2 == 0)
      ASSERT_TRUE(table_.mark_down(w.node_id(), "kill -9"));
    else
      ASSERT_TRUE(table_.leave(w.node_id(), incarnation, "SIGTERM"));
  }
  EXPECT_EQ(table_.view().members_size(), 2);
}

}  // namespace
}  // namespace rad
