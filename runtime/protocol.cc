#include "runtime/protocol.h"

#include "rad/v1/audit.pb.h"
#include "rad/v1/chaos.pb.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"
#include "rad/v1/trace.pb.h"
#include "runtime/error.h"
#include "runtime/proto_bridge.h"
#include "runtime/result_routes.h"

namespace rad {
namespace {

template <class... Ts>
struct TypeList {};

// Every message that may cross a node. tests/unit/protocol_test.cc checks that
// no top-level message of these files is missing.
using WireMessages = TypeList<
    // plan.proto
    v1::Plan, v1::Wave, v1::Story, v1::Backoff, v1::Verification, v1::MockDriver, v1::ExecDriver,
    v1::LlmDriver,
    // run.proto
    v1::StoryTransition, v1::StoryResult, v1::StoryCounts, v1::StoryStatus, v1::WaveStatus,
    v1::RunStatus, v1::RunList, v1::CheckpointRecords, v1::StoryStep, v1::RunExport,
    v1::CompactionReport, v1::BackupReport, v1::IdempotencyKey, v1::PlanProblem, v1::PlanProblems,
    v1::SubmitReply,
    // cluster.proto
    v1::Capacity, v1::NodeInfo, v1::NodeStats, v1::Heartbeat, v1::HeartbeatAck, v1::Member,
    v1::MembershipView, v1::JoinRequest, v1::JoinReply, v1::LeaveNotice, v1::SpawnRequest,
    v1::SpawnBatch, v1::SpawnDecision, v1::SpawnReply, v1::CancelRequest, v1::ResultBatch,
    v1::SettledRun, v1::SettledAttempts, v1::Ping, v1::Pong, v1::AttemptRef, v1::AgentReport,
    v1::AgentNodes,
    // chaos.proto
    v1::ChaosTarget, v1::KillAgent, v1::KillNode, v1::LinkFault, v1::Partition,
    v1::ResourcePressure, v1::CheckpointFailure, v1::ChaosCommand, v1::ChaosWorkload,
    v1::ChaosCluster, v1::ChaosScenario, v1::ChaosAck,
    // audit.proto, trace.proto
    v1::AuditRecord, v1::TraceContext, v1::SpanAttribute, v1::Span, v1::SpanList>;

template <class... Ts>
void add_all(caf::actor_system_config& cfg, TypeList<Ts...>) {
  (cfg.add_message_type<Proto<Ts>>(Ts::descriptor()->full_name()), ...);
}

template <class... Ts>
std::vector<std::string> names_of(TypeList<Ts...>) {
  return {Ts::descriptor()->full_name()...};
}

std::string render_error(uint8_t code, caf::atom_value, const caf::message& context) {
  std::string out = "rad.";
  out += to_string(static_cast<Errc>(code));
  if (context.match_elements<std::string>()) out += ": " + context.get_as<std::string>(0);
  return out;
}

}  // namespace

void register_protocol(caf::actor_system_config& cfg) {
  add_all(cfg, WireMessages{});
  cfg.add_message_type<ResultRoutes>("rad.ResultRoutes");
  cfg.add_error_category(error_category(), render_error);
}

const std::vector<std::string>& protocol_message_names() {
  static const std::vector<std::string> names = names_of(WireMessages{});
  return names;
}

}  // namespace rad
