#include "chaos/scenario.h"

#include <set>
#include <sstream>

#include "runtime/error.h"
#include "runtime/proto_file.h"

namespace rad {
namespace {

class Problems {
 public:
  void check_fraction(const std::string& path, double value) {
    if (!(value >= 0.0 && value <= 1.0)) {
      std::ostringstream reason;
      reason << path << ": " << value << " is not in [0, 1]";
      list.push_back(reason.str());
    }
  }
  void add(const std::string& problem) { list.push_back(problem); }
  std::vector<std::string> list;
};

void check_fault(const v1::ChaosCommand& f, const std::string& at, Problems& problems) {
  switch (f.fault_case()) {
    case v1::ChaosCommand::kKillAgent:
      problems.check_fraction(at + ".kill_agent.fraction", f.kill_agent().fraction());
      break;
    case v1::ChaosCommand::kLink:
      problems.check_fraction(at + ".link.drop_probability", f.link().drop_probability());
      problems.check_fraction(at + ".link.duplicate_probability", f.link().duplicate_probability());
      break;
    case v1::ChaosCommand::kCheckpointFailure:
      problems.check_fraction(at + ".checkpoint_failure.probability",
                              f.checkpoint_failure().probability());
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

}  // namespace

std::vector<std::string> scenario_problems(const v1::ChaosScenario& scenario) {
  Problems problems;
  if (scenario.name().empty()) problems.add("name: missing");
  if (scenario.faults_size() == 0) problems.add("faults: none; a scenario injects at least one");
  std::set<std::string> ids;
  for (int i = 0; i < scenario.faults_size(); ++i) {
    const auto& f = scenario.faults(i);
    std::string at = "faults[" + std::to_string(i) + "]";
    if (!f.id().empty() && !ids.insert(f.id()).second)
      problems.add(at + ".id: '" + f.id() + "' is used twice");
    problems.check_fraction(at + ".probability", f.probability());
    if (scenario.duration_ms() > 0 && f.at_ms() >= scenario.duration_ms())
      problems.add(at + ".at_ms: " + std::to_string(f.at_ms()) + " is not before duration_ms " +
                   std::to_string(scenario.duration_ms()));
    check_fault(f, at, problems);
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
