// radctl's run commands, through the coordinator's HTTP API. Each returns the
// process exit code: 0 done, 1 the run failed, 2 bad input, 3 unreachable.
#pragma once

#include <chrono>
#include <string>

#include "client/submit_client.h"

namespace rad {

struct SubmitOptions {
  std::string api;
  std::string plan_path;
  // The submit's idempotency key (runtime/idempotency_key.h); empty: a new
  // random one. Either way it is the key of every retry of this submit.
  std::string key;
  SubmitRetries retries;
  // Follow the run to its end: progress per wave on stderr, exit 1 if it failed.
  bool wait = false;
  std::chrono::milliseconds poll_interval{250};
};

int submit_command(const SubmitOptions& options);
int status_command(const std::string& api, const std::string& run_id, bool json);
int cancel_command(const std::string& api, const std::string& run_id);
int runs_command(const std::string& api, bool json);
// The spans the coordinator kept of a run (or of one story) as a tree; exit 1
// when it kept none (trace.spans off, or the run is too old).
int trace_command(const std::string& api, const std::string& run_id, const std::string& story,
                  bool json);

// radctl validate: every problem of the plan at `path` on stderr (exit 2), or
// 0 when it may run. Checked here, without a cluster; radctl submit leaves the
// checking to the coordinator, which answers the same problems.
int check_plan_file(const std::string& path);

}  // namespace rad
