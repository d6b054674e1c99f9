#include "chaos/report.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace rad {

bool ChaosReport::passed() const {
  if (verdicts.empty()) return false;
  for (const auto& v : verdicts)
    if (!v.pass) return false;
  return true;
}

std::string report_json(const ChaosReport& r) {
  nlohmann::json j;
  j["scenario"] = r.scenario;
  j["seed"] = r.seed;
  j["passed"] = r.passed();
  j["seconds"] = r.seconds;
  if (!r.work_dir.empty()) j["work_dir"] = r.work_dir;
  const auto& c = r.counts;
  j["run"] = {{"run_id", r.run_id},
              {"state", v1::RunState_Name(r.run_state)},
              {"stories",
               {{"total", c.total()},
                {"succeeded", c.succeeded()},
                {"dead", c.dead()},
                {"cancelled", c.cancelled()}}}};
  j["faults"] = nlohmann::json::array();
  for (const auto& f : r.faults) {
    nlohmann::json answers = nlohmann::json::object();
    for (const auto& [node, answer] : f.answers) answers[node] = answer;
    j["faults"].push_back({{"id", f.id},
                           {"kind", f.kind},
                           {"at_ms", f.at_ms},
                           {"fired_ms", f.fired_ms},
                           {"nodes", f.nodes},
                           {"fired", f.fired},
                           {"applied", f.applied},
                           {"answers", answers}});
  }
  j["recoveries"] = nlohmann::json::array();
  for (const auto& x : r.recoveries)
    j["recoveries"].push_back({{"fault", x.fault_id},
                               {"node", x.node},
                               {"what", x.what},
                               {"fault_ms", x.fault_ms},
                               {"seconds", x.seconds ? nlohmann::json(*x.seconds) : nullptr},
                               {"details", x.details}});
  j["invariants"] = nlohmann::json::array();
  for (const auto& v : r.verdicts)
    j["invariants"].push_back({{"name", v.name}, {"pass", v.pass}, {"details", v.details}});
  return j.dump(2) + "\n";
}

std::string report_text(const ChaosReport& r) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line,
                "chaos %s, seed %llu: run %s %s (%u stories: %u succeeded, %u dead, %u cancelled) "
                "in %.1f s\n",
                r.scenario.c_str(), static_cast<unsigned long long>(r.seed), r.run_id.c_str(),
                v1::RunState_Name(r.run_state).c_str(), r.counts.total(), r.counts.succeeded(),
                r.counts.dead(), r.counts.cancelled(), r.seconds);
  out += line;
  out += "faults:\n";
  for (const auto& f : r.faults) {
    std::string nodes;
    for (const auto& n : f.nodes) nodes += (nodes.empty() ? "" : ",") + n;
    std::snprintf(line, sizeof line, "  %7.3fs  %-18s %-19s %-12s %s\n",
                  static_cast<double>(f.fired ? f.fired_ms : f.at_ms) / 1e3, f.id.c_str(),
                  f.kind.c_str(), nodes.c_str(),
                  !f.fired    ? "not fired (its probability draw)"
                  : f.applied ? "applied"
                              : "NOT APPLIED");
    out += line;
    for (const auto& [node, answer] : f.answers)
      out += "             " + node + ": " + answer + "\n";
  }
  out += "recoveries:\n";
  if (r.recoveries.empty()) out += "  none to measure\n";
  for (const auto& x : r.recoveries) {
    if (x.seconds)
      std::snprintf(line, sizeof line, "  %-18s %-8s %s in %.2f s", x.fault_id.c_str(),
                    x.node.c_str(), x.what.c_str(), *x.seconds);
    else
      std::snprintf(line, sizeof line, "  %-18s %-8s NEVER %s", x.fault_id.c_str(), x.node.c_str(),
                    x.what.c_str());
    out += line + (x.details.empty() ? std::string{} : " (" + x.details + ")") + "\n";
  }
  out += "invariants:\n";
  for (const auto& v : r.verdicts)
    out += std::string{"  "} + (v.pass ? "PASS " : "FAIL ") + v.name + ": " + v.details + "\n";
  out += r.passed() ? "PASS: every invariant holds\n" : "FAIL: an invariant is broken\n";
  if (!r.work_dir.empty()) out += "node logs and data dirs kept in " + r.work_dir + "\n";
  return out;
}

}  // namespace rad
