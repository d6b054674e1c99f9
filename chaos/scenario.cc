#include "chaos/scenario.h"

#include <algorithm>
#include <set>

#include "faults/chaos_values.h"
#include "runtime/error.h"
#include "runtime/proto_file.h"

namespace rad {
namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

class Problems {
 public:
  void check_fraction(const std::string& path, double value) {
    if (auto problem = fraction_problem(path, value); !problem.empty()) list.push_back(problem);
  }
  void add(const std::string& problem) { list.push_back(problem); }
  std::vector<std::string> list;
};

// Names that are nodes of the cluster, a role that is one, and no more of
// them than there are.
void check_target(const v1::ChaosTarget& t, const std::string& at,
                  const std::vector<std::string>& nodes, Problems& problems) {
  for (const auto& name : t.node_names())
    if (std::find(nodes.begin(), nodes.end(), name) == nodes.end())
      problems.add(at + ".node_names: no node '" + name + "' in the cluster; its nodes are " +
                   join(nodes));
  if (!t.role().empty() && t.role() != "coordinator" && t.role() != "worker" && t.role() != "any")
    problems.add(at + ".role: '" + t.role() + "' is not coordinator, worker or any");
  size_t candidates = !t.node_names().empty()     ? static_cast<size_t>(t.node_names_size())
                      : t.role() == "coordinator" ? 1
                      : t.role() == "worker"      ? nodes.size() - 1
                                                  : nodes.size();
  if (t.count() > candidates)
    problems.add(at + ".count: " + std::to_string(t.count()) + " but only " +
                 std::to_string(candidates) + " nodes match");
}

// Whether `t` may name a node other than the coordinator.
bool beyond_coordinator(const v1::ChaosTarget& t) {
  if (t.role() == "worker" || t.role() == "any") return true;
  for (const auto& name : t.node_names())
    if (name != kChaosCoordinator) return true;
  return false;
}

void check_fault(const v1::ChaosCommand& f, const std::string& at,
                 const std::vector<std::string>& nodes, Problems& problems) {
  if (f.has_target()) check_target(f.target(), at + ".target", nodes, problems);
  for (auto& problem : fault_value_problems(f, at)) problems.add(std::move(problem));
  switch (f.fault_case()) {
    case v1::ChaosCommand::kKillNode: {
      const auto& t = f.target();
      bool coordinator =
          t.role() == "coordinator" || std::find(t.node_names().begin(), t.node_names().end(),
                                                 kChaosCoordinator) != t.node_names().end();
      if (coordinator)
        problems.add(at + ".target: kill_node of the coordinator; use restart_coordinator");
      break;
    }
    case v1::ChaosCommand::kRestartCoordinator:
      if (beyond_coordinator(f.target()))
        problems.add(at +
                     ".target: restart_coordinator hits the coordinator only; drop the target");
      break;
    case v1::ChaosCommand::kLink:
      check_target(f.link().to(), at + ".link.to", nodes, problems);
      break;
    case v1::ChaosCommand::kPartition:
      check_target(f.partition().from(), at + ".partition.from", nodes, problems);
      break;
    case v1::ChaosCommand::kCheckpointFailure:
      if (beyond_coordinator(f.target()))
        problems.add(at + ".target: checkpoint_failure hits the coordinator only; drop the target");
      break;
    case v1::ChaosCommand::FAULT_NOT_SET:
      problems.add(at +
                   ": no fault; set one of kill_agent, kill_node, restart_coordinator, link, "
                   "partition, pressure, checkpoint_failure");
      break;
    default:
      break;
  }
}

void check_workload(const v1::ChaosWorkload& w, Problems& problems) {
  if (w.stories() > 1000000)
    problems.add("workload.stories: " + std::to_string(w.stories()) + " is over 1000000");
  if (w.waves() > std::max<uint32_t>(1, w.stories()))
    problems.add("workload.waves: " + std::to_string(w.waves()) + " waves for " +
                 std::to_string(w.stories()) + " stories");
  problems.check_fraction("workload.dependency_density", w.dependency_density());
  problems.check_fraction("workload.failure_rate", w.failure_rate());
  if (w.exec() && w.failure_rate() > 0)
    problems.add("workload.failure_rate: exec stories (sleep) do not fail on their own; set 0");
}

}  // namespace

std::vector<std::string> cluster_nodes(const v1::ChaosScenario& scenario) {
  auto workers = scenario.cluster().workers() ? scenario.cluster().workers() : kDefaultChaosWorkers;
  std::vector<std::string> nodes{kChaosCoordinator};
  for (uint32_t i = 1; i <= std::min(workers, kMaxChaosWorkers); ++i)
    nodes.push_back("w" + std::to_string(i));
  return nodes;
}

std::vector<std::string> scenario_problems(const v1::ChaosScenario& scenario) {
  Problems problems;
  if (scenario.name().empty()) problems.add("name: missing");
  if (scenario.cluster().workers() > kMaxChaosWorkers)
    problems.add("cluster.workers: " + std::to_string(scenario.cluster().workers()) + " is over " +
                 std::to_string(kMaxChaosWorkers));
  check_workload(scenario.workload(), problems);
  auto nodes = cluster_nodes(scenario);
  if (scenario.faults_size() == 0) problems.add("faults: none; a scenario injects at least one");
  std::set<std::string> ids;
  for (int i = 0; i < scenario.faults_size(); ++i) {
    const auto& f = scenario.faults(i);
    std::string at = "faults[" + std::to_string(i) + "]";
    if (!f.id().empty() && !ids.insert(f.id()).second)
      problems.add(at + ".id: '" + f.id() + "' is used twice");
    if (scenario.duration_ms() > 0 && f.at_ms() >= scenario.duration_ms())
      problems.add(at + ".at_ms: " + std::to_string(f.at_ms()) + " is not before duration_ms " +
                   std::to_string(scenario.duration_ms()));
    check_fault(f, at, nodes, problems);
  }
  return problems.list;
}

caf::expected<v1::ChaosScenario> load_scenario(const std::string& path) {
  v1::ChaosScenario scenario;
  if (auto err = load_proto_file(path, kMaxScenarioFileBytes, scenario)) return err;
  auto problems = scenario_problems(scenario);
  if (problems.empty()) return scenario;
  std::string message = path + ": " + std::to_string(problems.size()) +
                        (problems.size() == 1 ? " problem: " : " problems: ");
  for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
  return make_error(Errc::invalid_input, std::move(message));
}

}  // namespace rad
