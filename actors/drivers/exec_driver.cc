#include "actors/drivers/exec_driver.h"

#include <signal.h>

#include <algorithm>
#include <map>

namespace rad {
namespace {

std::string signal_name(int sig) {
  // sigabbrev_np() is glibc-only; these are the ones a command dies of.
  static const std::map<int, const char*> names = {
      {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
      {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
      {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
      {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGXCPU, "SIGXCPU"},
      {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"}};
  auto it = names.find(sig);
  return it != names.end() ? it->second : "signal " + std::to_string(sig);
}

std::string failure_reason(const SubprocessResult& r) {
  if (!r.started) return r.start_error;
  if (r.cancelled) return "cancelled";
  if (r.timed_out) return "timed out after " + std::to_string(r.timeout.count()) + " ms";
  if (r.term_signal != 0) return "killed by " + signal_name(r.term_signal);
  return "exit code " + std::to_string(r.exit_code);
}

v1::Outcome outcome_of(const SubprocessResult& r) {
  // Cancel and timeout first: a run that never started because its token was
  // already cancelled is still a cancelled one.
  if (r.cancelled) return v1::OUTCOME_CANCELLED;
  if (r.timed_out) return v1::OUTCOME_TIMED_OUT;
  if (r.started && r.exit_code == 0) return v1::OUTCOME_SUCCEEDED;
  return v1::OUTCOME_FAILED;
}

}  // namespace

std::vector<std::string> exec_environment(const v1::ExecDriver& exec, const EnvLookup& node_env) {
  std::map<std::string, std::string> vars{exec.env().begin(), exec.env().end()};
  for (const auto& name : exec.env_allow())
    if (!vars.count(name))
      if (auto value = node_env(name)) vars.emplace(name, *value);
  if (!vars.count("PATH"))
    if (auto path = node_env("PATH")) vars.emplace("PATH", *path);
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
  return out;
}

SubprocessSpec exec_spec(const v1::ExecDriver& exec, std::chrono::milliseconds timeout,
                         const EnvLookup& node_env) {
  SubprocessSpec spec;
  spec.argv.assign(exec.argv().begin(), exec.argv().end());
  spec.env = exec_environment(exec, node_env);
  spec.working_dir = exec.working_dir();
  spec.timeout = timeout;
  spec.output_limit =
      exec.output_limit_bytes() > 0 ? exec.output_limit_bytes() : kDefaultExecOutputLimit;
  return spec;
}

SubprocessSpec verification_spec(const v1::Verification& check,
                                 std::chrono::milliseconds default_timeout,
                                 const EnvLookup& node_env) {
  SubprocessSpec spec;
  spec.argv.assign(check.argv().begin(), check.argv().end());
  spec.env = exec_environment(v1::ExecDriver{}, node_env);
  spec.working_dir = check.working_dir();
  spec.timeout =
      check.timeout_ms() > 0 ? std::chrono::milliseconds{check.timeout_ms()} : default_timeout;
  return spec;
}

void add_attempt_environment(SubprocessSpec& spec, const v1::SpawnRequest& request) {
  const std::pair<const char*, std::string> identity[] = {
      {"RAD_RUN_ID=", request.run_id()},
      {"RAD_STORY_ID=", request.story().id()},
      {"RAD_ATTEMPT=", std::to_string(request.attempt())}};
  auto& env = spec.env;
  for (const auto& [prefix, value] : identity) {
    env.erase(std::remove_if(env.begin(), env.end(),
                             [&](const std::string& kv) { return kv.rfind(prefix, 0) == 0; }),
              env.end());
    env.push_back(prefix + value);
  }
}

ExecOutcome exec_outcome(const SubprocessResult& result) {
  ExecOutcome o;
  o.outcome = outcome_of(result);
  o.output = result.out;
  if (result.out_truncated) o.output += "\n--- stdout truncated ---\n";
  if (!result.err.empty() || result.err_truncated) {
    if (!o.output.empty() && o.output.back() != '\n') o.output += '\n';
    o.output += "--- stderr ---\n" + result.err;
    if (result.err_truncated) o.output += "\n--- stderr truncated ---\n";
  }
  if (o.outcome != v1::OUTCOME_SUCCEEDED) o.error = failure_reason(result);
  return o;
}

}  // namespace rad
