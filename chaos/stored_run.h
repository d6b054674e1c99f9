// A run as the coordinator's checkpoint store holds it, read read-only (also
// while the coordinator runs): what the invariants compare with the API.
//
//   auto stored = read_stored_run(data_dir + "/checkpoint", run_id);
#pragma once

#include <caf/expected.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"

namespace rad {

struct StoredRun {
  std::optional<v1::RunStatus> summary;  // none when the store has no such run
  std::optional<v1::Plan> plan;
  std::map<std::string, v1::StoryStatus> stories;  // by story id
  std::vector<v1::StoryTransition> events;         // as stored: in seq order
};

// Errors when the store cannot be opened or read; a run it does not hold is
// an empty StoredRun.
caf::expected<StoredRun> read_stored_run(const std::string& store_path, const std::string& run_id);

}  // namespace rad
