// What `radctl chaos run` reports: the faults injected and what each node
// said, the recoveries and their times, and every invariant's verdict; as
// text for a person and as JSON for CI (--report FILE.json).
#pragma once

#include <string>
#include <vector>

#include "chaos/invariants.h"
#include "rad/v1/run.pb.h"

namespace rad {

struct ChaosReport {
  std::string scenario;
  uint64_t seed = 0;
  std::string run_id;
  v1::RunState run_state = v1::RUN_STATE_UNSPECIFIED;
  v1::StoryCounts counts;
  double seconds = 0;    // the whole scenario, cluster start to verdicts
  std::string work_dir;  // kept when a verdict failed (node logs, data dirs); else empty
  std::vector<FaultRecord> faults;
  std::vector<Recovery> recoveries;
  std::vector<Verdict> verdicts;

  bool passed() const;
};

// The JSON report: {"scenario", "seed", "passed", "run": {...}, "faults": [...],
// "recoveries": [...], "invariants": [{"name", "pass", "details"}]}.
std::string report_json(const ChaosReport& report);

// The report for a terminal: faults, recoveries, then one PASS/FAIL line per
// invariant and the verdict.
std::string report_text(const ChaosReport& report);

}  // namespace rad
