#include "actors/membership_table.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <utility>

#include "runtime/clock.h"
#include "runtime/protocol.h"

namespace rad {

bool is_live(const v1::Member& m) {
  return m.state() == v1::MEMBER_STATE_UP || m.state() == v1::MEMBER_STATE_SUSPECT ||
         m.state() == v1::MEMBER_STATE_DRAINING;
}

namespace {

bool same_bytes(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

JoinDecision refuse(std::string why, bool fenced = false) {
  JoinDecision d;
  d.refusal = std::move(why);
  d.fenced = fenced;
  return d;
}

}  // namespace

MembershipTable::MembershipTable(v1::NodeInfo self, MembershipOptions options)
    : options_(std::move(options)) {
  view_.set_coordinator_id(self.node_id());
  view_.set_coordinator_incarnation(self.incarnation());
  auto* m = view_.add_members();
  *m->mutable_node() = std::move(self);
  *m->mutable_last_heartbeat() = now_timestamp();
  set_state(*m, v1::MEMBER_STATE_UP, "");
  changed();
}

std::string MembershipTable::secret_proof(const std::string& secret, const std::string& node_id) {
  if (secret.empty()) return {};
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(node_id.data()), node_id.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

JoinDecision MembershipTable::join(const v1::JoinRequest& request) {
  const auto& node = request.node();
  if (request.protocol_version() != kProtocolVersion)
    return refuse("protocol version " + std::to_string(request.protocol_version()) +
                  " differs from the coordinator's " + std::to_string(kProtocolVersion) +
                  "; run the same rad version on every node");
  if (request.cluster_name() != options_.cluster_name)
    return refuse("cluster name '" + request.cluster_name() + "' differs from the coordinator's '" +
                  options_.cluster_name + "'; set the same cluster.name on every node");
  if (!same_bytes(request.secret_proof(), secret_proof(options_.secret, node.node_id())))
    return refuse(
        "cluster secret does not match the coordinator's; set the same cluster.secret "
        "(RAD_CLUSTER_SECRET) on every node");
  if (node.node_id().empty() || node.name().empty())
    return refuse("join request without node id or name");

  JoinDecision decision;
  if (auto* same = find_mutable(node.node_id())) {
    // The same process reconnecting, e.g. after the coordinator came back,
    // or coming back as a new incarnation after it was declared down.
    bool reincarnated = node.incarnation() > same->node().incarnation();
    if (same->state() == v1::MEMBER_STATE_DOWN && !reincarnated)
      return refuse("incarnation " + std::to_string(same->node().incarnation()) + " of node " +
                        node.name() + " was declared down (" + same->reason() + ")",
                    true);
    if (same->state() == v1::MEMBER_STATE_LEFT && !reincarnated)
      return refuse("node " + node.name() + " has left");
    *same->mutable_node() = node;
    set_state(*same, v1::MEMBER_STATE_UP, "");
    changed();
    decision.accepted = true;
    return decision;
  }
  auto* members = view_.mutable_members();
  auto by_name = std::find_if(members->begin(), members->end(),
                              [&](const v1::Member& m) { return m.node().name() == node.name(); });
  if (by_name != members->end()) {
    const auto& old = by_name->node();
    if (node.incarnation() <= old.incarnation())
      return refuse("incarnation " + std::to_string(node.incarnation()) + " of node " +
                    node.name() + " is not newer than the member's " +
                    std::to_string(old.incarnation()));
    if (is_live(*by_name) && old.address() != node.address())
      return refuse("node name " + node.name() + " is taken by a live member at " + old.address() +
                    "; give each node its own --node-name");
    if (old.node_id() == view_.coordinator_id())
      return refuse("node name " + node.name() + " is the coordinator's");
    // A restart of the same node: the new incarnation replaces the old one,
    // whose messages are dropped from now on (its node id is no longer known).
    decision.replaced = old.node_id();
    members->erase(by_name);
  }
  auto* m = view_.add_members();
  *m->mutable_node() = node;
  *m->mutable_last_heartbeat() = now_timestamp();
  set_state(*m, v1::MEMBER_STATE_UP, "");
  changed();
  decision.accepted = true;
  return decision;
}

MembershipTable::Heard MembershipTable::heartbeat(const v1::Heartbeat& hb) {
  auto* m = find_mutable(hb.node_id());
  if (!m) return Heard::unknown;
  if (hb.incarnation() != m->node().incarnation()) return Heard::stale_incarnation;
  if (!is_live(*m)) return Heard::declared_down;
  *m->mutable_last_heartbeat() = now_timestamp();
  if (hb.has_stats()) {
    // A changed admission verdict changes where work may go: a new view.
    // A member without stats yet counts as admitting.
    bool admitted = !m->has_stats() || m->stats().admits();
    bool verdict_changed = admitted != hb.stats().admits();
    *m->mutable_stats() = hb.stats();
    if (verdict_changed) changed();
  }
  return Heard::current;
}

bool MembershipTable::suspect(const std::string& node_id, const std::string& reason) {
  auto* m = find_mutable(node_id);
  if (!m || m->state() != v1::MEMBER_STATE_UP || node_id == view_.coordinator_id()) return false;
  set_state(*m, v1::MEMBER_STATE_SUSPECT, reason);
  changed();
  return true;
}

bool MembershipTable::revive(const std::string& node_id) {
  auto* m = find_mutable(node_id);
  if (!m || m->state() != v1::MEMBER_STATE_SUSPECT) return false;
  set_state(*m, v1::MEMBER_STATE_UP, "");
  changed();
  return true;
}

bool MembershipTable::drain(const std::string& node_id, uint64_t incarnation,
                            const std::string& reason) {
  auto* m = find_mutable(node_id);
  if (!m || m->node().incarnation() != incarnation || !is_live(*m) ||
      m->state() == v1::MEMBER_STATE_DRAINING)
    return false;
  set_state(*m, v1::MEMBER_STATE_DRAINING, reason.empty() ? "draining" : reason);
  changed();
  return true;
}

bool MembershipTable::leave(const std::string& node_id, uint64_t incarnation,
                            const std::string& reason) {
  auto* m = find_mutable(node_id);
  if (!m || m->node().incarnation() != incarnation || !is_live(*m)) return false;
  set_state(*m, v1::MEMBER_STATE_LEFT, reason.empty() ? "left" : reason);
  drop_old_departures();
  changed();
  return true;
}

bool MembershipTable::mark_down(const std::string& node_id, const std::string& reason) {
  auto* m = find_mutable(node_id);
  if (!m || !is_live(*m) || node_id == view_.coordinator_id()) return false;
  set_state(*m, v1::MEMBER_STATE_DOWN, reason);
  drop_old_departures();
  changed();
  return true;
}

void MembershipTable::check() {
  for (auto& m : *view_.mutable_members()) {
    if (m.node().node_id() != view_.coordinator_id()) continue;
    *m.mutable_last_heartbeat() = now_timestamp();
  }
}

const v1::Member* MembershipTable::find(const std::string& node_id) const {
  for (const auto& m : view_.members())
    if (m.node().node_id() == node_id) return &m;
  return nullptr;
}

v1::Member* MembershipTable::find_mutable(const std::string& node_id) {
  for (auto& m : *view_.mutable_members())
    if (m.node().node_id() == node_id) return &m;
  return nullptr;
}

std::vector<std::string> MembershipTable::take_dropped() { return std::exchange(dropped_, {}); }

void MembershipTable::drop_old_departures() {
  auto* members = view_.mutable_members();
  auto departed = std::count_if(members->begin(), members->end(),
                                [](const v1::Member& m) { return !is_live(m); });
  auto since = [](const v1::Member& m) {
    return std::make_pair(m.state_since().seconds(), m.state_since().nanos());
  };
  for (; departed > static_cast<long>(kDepartedKept); --departed) {
    auto oldest = members->end();
    for (auto it = members->begin(); it != members->end(); ++it)
      if (!is_live(*it) && (oldest == members->end() || since(*it) < since(*oldest))) oldest = it;
    dropped_.push_back(oldest->node().node_id());
    members->erase(oldest);
  }
}

void MembershipTable::set_state(v1::Member& m, v1::MemberState state, const std::string& reason) {
  m.set_state(state);
  m.set_reason(reason);
  *m.mutable_state_since() = now_timestamp();
}

}  // namespace rad
