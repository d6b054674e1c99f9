// The exec driver: turns a story's ExecDriver, or a pre/postcondition, into a
// SubprocessSpec, and a SubprocessResult into what an attempt reports.
//
//   auto spec = exec_spec(story.exec(), std::chrono::minutes{10}, process_environment());
//   ExecOutcome o = exec_outcome(run_subprocess(spec, cancel));
//
// The child's environment is built from the plan alone, plus the node
// variables the plan names: a story never sees the node's secrets unless
// asked for by name. Nothing here logs, and no error text holds an
// environment value. `node_env` looks up the node's own variables:
// process_environment() in production, a map in tests.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "actors/drivers/subprocess.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"
#include "runtime/config.h"

namespace rad {

// Output captured per stream when ExecDriver.output_limit_bytes is 0.
inline constexpr size_t kDefaultExecOutputLimit = 64 * 1024;

// The complete "K=V" environment for an exec story, sorted by name:
// - every `env` entry;
// - each node variable named in `env_allow` (skipped when the node does not
//   have it, or when `env` sets the same name: the plan wins);
// - the node's PATH when neither of the above gives one, so that a bare
//   program name such as "true" is found.
std::vector<std::string> exec_environment(const v1::ExecDriver& exec, const EnvLookup& node_env);

// A spec for the story's command. A zero output_limit_bytes means
// kDefaultExecOutputLimit.
SubprocessSpec exec_spec(const v1::ExecDriver& exec, std::chrono::milliseconds timeout,
                         const EnvLookup& node_env);

// A spec for a pre/postcondition: its own timeout_ms, or default_timeout when
// that is 0. Its environment holds only the node's PATH.
SubprocessSpec verification_spec(const v1::Verification& check,
                                 std::chrono::milliseconds default_timeout,
                                 const EnvLookup& node_env);

// Tells a command which attempt it is: RAD_RUN_ID, RAD_STORY_ID and
// RAD_ATTEMPT in its environment (over the plan's own, if it sets them), so
// that a command can make its side effects idempotent per attempt.
void add_attempt_environment(SubprocessSpec& spec, const v1::SpawnRequest& request);

struct ExecOutcome {
  // SUCCEEDED on exit 0, TIMED_OUT or CANCELLED when the runner ended the
  // command for that reason, FAILED otherwise (including when it never ran).
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
  // stdout, then stderr after a "--- stderr ---" line when there is any; each
  // stream within its cap, with a "--- stdout truncated ---" or
  // "--- stderr truncated ---" line after a stream that was cut.
  std::string output;
  // Empty on success, else one line: "exit code 3", "killed by SIGKILL",
  // "timed out after 100 ms", "cancelled", or the start error such as
  // "cannot run 'nope': No such file or directory".
  std::string error;
};

ExecOutcome exec_outcome(const SubprocessResult& result);

}  // namespace rad
