// radctl chaos run SCENARIO: runs a chaos scenario (chaos/runner.h) on a
// cluster of its own and reports the faults, the recoveries and every
// invariant; --dry-run prints the seed's fault schedule only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rad {

struct ChaosRunOptions {
  std::string scenario_path;
  std::optional<uint64_t> seed;  // none: the scenario's
  std::string report_path;       // the JSON report; empty: none
  std::string rad_node;          // empty: the rad-node next to radctl
  std::string work_dir;          // empty: under /tmp, removed when every invariant holds
  bool dry_run = false;
  // Scale: 0 keeps the scenario's.
  uint32_t stories = 0, workers = 0;
};

// 0 every invariant holds, 1 one does not (or the scenario could not run),
// 2 bad input.
int chaos_run_command(const ChaosRunOptions& options);

}  // namespace rad
