#include "actors/node_membership.h"

#include <spdlog/logger.h>

#include <algorithm>

#include "runtime/clock.h"
#include "runtime/enum_word.h"
#include "runtime/logging.h"
#include "runtime/protocol.h"
#include "runtime/trace.h"

namespace rad {
namespace {

std::string state_name(v1::MemberState s) { return enum_word(v1::MemberState_Name(s)); }

}  // namespace

v1::Heartbeat make_heartbeat(const v1::NodeInfo& info, uint64_t seq, const v1::NodeStats& stats) {
  v1::Heartbeat hb;
  hb.set_node_id(info.node_id());
  hb.set_incarnation(info.incarnation());
  hb.set_seq(seq);
  *hb.mutable_sent_at() = now_timestamp();
  if (stats.has_sampled_at()) *hb.mutable_stats() = stats;
  return traced(hb);
}

Proto<v1::Pong> answer_ping(const v1::NodeInfo& info, const v1::Ping& ping, spdlog::logger& log) {
  TraceScope scope{ping.trace().traceparent()};
  log.debug("ping {} answered", ping.seq());
  v1::Pong pong;
  pong.set_seq(ping.seq());
  *pong.mutable_node() = info;
  pong.mutable_trace()->set_traceparent(child_traceparent(ping.trace().traceparent()));
  return proto(std::move(pong));
}

v1::JoinReply refused_join(const v1::JoinRequest& request, std::string why) {
  v1::JoinReply reply;
  traced(reply, request.trace().traceparent());
  reply.set_refusal(std::move(why));
  return reply;
}

v1::JoinReply refused_join_without_host(const v1::JoinRequest& request) {
  return refused_join(request, "a join of protocol version " + std::to_string(kProtocolVersion) +
                                   " carries the node's AgentHost; run the same rad version on "
                                   "every node");
}

bool takes_monitor(const monitor_actor& current, const monitor_actor& monitor,
                   const caf::node_id& node) {
  return !current && monitor && monitor.node() == node;
}

std::string summary(const v1::MembershipView& view) {
  std::map<std::string, int> counts;
  for (const auto& m : view.members()) ++counts[state_name(m.state())];
  std::string out = "v" + std::to_string(view.version()) + ": " +
                    std::to_string(view.members_size()) + " members (";
  bool first = true;
  for (const auto& [state, n] : counts) {
    out += (first ? "" : ", ") + std::to_string(n) + " " + state;
    first = false;
  }
  return out + ")";
}

void log_changes(spdlog::logger& log, const v1::MembershipView& before,
                 const v1::MembershipView& after) {
  for (const auto& m : after.members()) {
    auto old =
        std::find_if(before.members().begin(), before.members().end(),
                     [&](const v1::Member& o) { return o.node().name() == m.node().name(); });
    bool same = old != before.members().end() && old->state() == m.state() &&
                old->node().incarnation() == m.node().incarnation();
    if (same) continue;
    log.info("member {} is now {} (incarnation {}, {}){}", m.node().name(), state_name(m.state()),
             m.node().incarnation(), m.node().address(),
             m.reason().empty() ? "" : ": " + m.reason());
  }
}

void publish_views(const MemberOptions& options, const v1::MembershipView& view, Verdict ready) {
  if (!options.views) return;
  options.views->membership.set(view);
  options.views->cluster.set(std::move(ready));
}

void export_membership(const MemberOptions& options, const v1::MembershipView& view,
                       const std::map<std::string, double>& heartbeat_ages) {
  if (!options.metrics) return;
  options.metrics->members(view);
  options.metrics->heartbeat_ages(heartbeat_ages);
}

}  // namespace rad
