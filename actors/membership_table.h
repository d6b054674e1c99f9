// The coordinator's membership view and the rules that change it: who may
// join, how a restarted node replaces its old incarnation, and the states a
// member goes through. Whether a silent member is suspect or down is judged
// elsewhere (actors/failure_detector.h, on the Pulse's thread) and applied
// here. Pure logic: time is passed in, nothing is sent; the coordinator's membership does the
// messaging.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rad/v1/cluster.pb.h"

namespace rad {

// Up, suspect or draining: heard from, sent views, and watched for silence.
bool is_live(const v1::Member& member);

struct MembershipOptions {
  std::string cluster_name = "rad";
  // Empty: joiners must present no proof either.
  std::string secret;
};

struct JoinDecision {
  bool accepted = false;
  // The joiner's incarnation was declared down: it must rejoin as a new one.
  bool fenced = false;
  std::string refusal;
  // Node id of an old incarnation this join replaced, if any.
  std::string replaced;
};

class MembershipTable {
 public:
  // Members down or left that the view keeps, the newest departures: a node
  // restarted under its name replaces its old entry, but nodes that leave for
  // good under names of their own (autoscaled workers, say) would otherwise
  // stay in the view forever. An older departure is dropped with its fence: if
  // that incarnation ever came back, it would join as new. Nothing of it
  // counts twice even then: its attempts were settled NODE_LOST when it went
  // down, and its own lease had stopped its agents before.
  static constexpr size_t kDepartedKept = 32;

  // `self` is the coordinator, a member from the start.
  MembershipTable(v1::NodeInfo self, MembershipOptions options);

  JoinDecision join(const v1::JoinRequest& request);

  enum class Heard { current, unknown, stale_incarnation, declared_down };
  // Records a heartbeat and the Monitor sample it carries.
  Heard heartbeat(const v1::Heartbeat& heartbeat);

  // An up member has been silent long enough to doubt it: no new work goes
  // there, and nothing it runs moves. False when nothing changed.
  bool suspect(const std::string& node_id, const std::string& reason);
  // A suspect member is heard again: up. False when nothing changed.
  bool revive(const std::string& node_id);

  // The member has begun a graceful leave: it takes no new work. False when
  // the sender is unknown, of another incarnation, or not live.
  bool drain(const std::string& node_id, uint64_t incarnation, const std::string& reason);

  // Graceful leave. False when the sender is unknown or of another incarnation.
  bool leave(const std::string& node_id, uint64_t incarnation, const std::string& reason);

  // Connection lost (CAF's down_msg). False when nothing changed.
  bool mark_down(const std::string& node_id, const std::string& reason);

  // Keeps the coordinator's own entry current.
  void check();

  // The view, with last-heartbeat times as of the last call.
  const v1::MembershipView& view() const { return view_; }
  const v1::Member* find(const std::string& node_id) const;

  // Node ids of the departed members dropped (see kDepartedKept) since the
  // last call: whoever follows members forgets them too.
  std::vector<std::string> take_dropped();

  // HMAC-SHA256 of `node_id` under `secret`; empty when the secret is.
  static std::string secret_proof(const std::string& secret, const std::string& node_id);

 private:
  v1::Member* find_mutable(const std::string& node_id);
  void set_state(v1::Member& m, v1::MemberState state, const std::string& reason);
  void changed() { view_.set_version(view_.version() + 1); }
  // Keeps the newest kDepartedKept departed members.
  void drop_old_departures();

  MembershipOptions options_;
  v1::MembershipView view_;
  std::vector<std::string> dropped_;
};

}  // namespace rad
