// The check every story benchmark ends with: the checkpoint store agrees that
// each story of the run SUCCEEDED exactly once.
#pragma once

#include <string>

namespace rad::bench {

// Reads run `run_id` from the checkpoint store under `data_dir` (read-only,
// also while its coordinator runs) and checks that it has `stories` stories,
// each with exactly one terminal transition, SUCCEEDED and its last event,
// each stored as SUCCEEDED, and a summary counting them all succeeded.
// Prints what is wrong (the first few cases) and returns false then.
bool stored_exactly_once(const std::string& data_dir, const std::string& run_id, int stories);

}  // namespace rad::bench
