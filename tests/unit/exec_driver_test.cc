#include "actors/drivers/exec_driver.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <set>
#include <sstream>

namespace rad {
namespace {

using namespace std::chrono_literals;

EnvLookup node_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const EnvLookup kNode = node_env({{"PATH", "/usr/bin:/bin"},
                                  {"HOME", "/home/rad"},
                                  {"RAD_DEPLOY_TOKEN", "s3cret"},
                                  {"LANG", "C.UTF-8"}});

v1::ExecDriver exec(std::vector<std::string> argv) {
  v1::ExecDriver e;
  for (auto& a : argv) e.add_argv(a);
  return e;
}

std::set<std::string> lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) out.insert(line);
  return out;
}

ExecOutcome run(const v1::ExecDriver& e, std::chrono::milliseconds timeout = 5s,
                const EnvLookup& env = kNode) {
  return exec_outcome(run_subprocess(exec_spec(e, timeout, env)));
}

TEST(ExecDriver, EnvironmentHoldsPlanVariablesAllowedOnesAndPath) {
  auto e = exec({"env"});
  (*e.mutable_env())["B"] = "2";
  (*e.mutable_env())["A"] = "1";
  e.add_env_allow("RAD_DEPLOY_TOKEN");
  e.add_env_allow("RAD_NOT_ON_THIS_NODE");
  EXPECT_EQ(
      exec_environment(e, kNode),
      (std::vector<std::string>{"A=1", "B=2", "PATH=/usr/bin:/bin", "RAD_DEPLOY_TOKEN=s3cret"}));
}

TEST(ExecDriver, PlanVariablesWinOverTheNodes) {
  auto e = exec({"env"});
  (*e.mutable_env())["PATH"] = "/opt/bin";
  (*e.mutable_env())["LANG"] = "C";
  e.add_env_allow("LANG");
  EXPECT_EQ(exec_environment(e, kNode), (std::vector<std::string>{"LANG=C", "PATH=/opt/bin"}));
}

TEST(ExecDriver, AllowedPathIsTheNodes) {
  auto e = exec({"env"});
  e.add_env_allow("PATH");
  EXPECT_EQ(exec_environment(e, kNode), (std::vector<std::string>{"PATH=/usr/bin:/bin"}));
}

TEST(ExecDriver, NoPathWhenTheNodeHasNone) {
  EXPECT_TRUE(exec_environment(exec({"env"}), node_env({{"HOME", "/root"}})).empty());
}

TEST(ExecDriver, CommandSeesOnlyItsEnvironment) {
  auto e = exec({"env"});
  (*e.mutable_env())["GREETING"] = "hello world";
  e.add_env_allow("RAD_DEPLOY_TOKEN");
  auto o = run(e);
  ASSERT_EQ(o.outcome, v1::OUTCOME_SUCCEEDED) << o.error;
  EXPECT_EQ(lines(o.output), (std::set<std::string>{"GREETING=hello world", "PATH=/usr/bin:/bin",
                                                    "RAD_DEPLOY_TOKEN=s3cret"}));
}

TEST(ExecDriver, BareProgramNameIsFoundThroughTheNodesPath) {
  auto o = run(exec({"true"}), 5s, process_environment());
  EXPECT_EQ(o.outcome, v1::OUTCOME_SUCCEEDED) << o.error;
  EXPECT_EQ(o.error, "");
}

TEST(ExecDriver, SpecCarriesArgvWorkingDirTimeoutAndLimit) {
  auto e = exec({"make", "-j2", "a b"});
  e.set_working_dir("/srv/app");
  auto spec = exec_spec(e, 1500ms, kNode);
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"make", "-j2", "a b"}));
  EXPECT_EQ(spec.working_dir, "/srv/app");
  EXPECT_EQ(spec.timeout, 1500ms);
  EXPECT_EQ(spec.output_limit, kDefaultExecOutputLimit);
  EXPECT_EQ(spec.env, (std::vector<std::string>{"PATH=/usr/bin:/bin"}));
  e.set_output_limit_bytes(100);
  EXPECT_EQ(exec_spec(e, 1500ms, kNode).output_limit, 100u);
}

TEST(ExecDriver, VerificationUsesItsTimeoutOrTheDefault) {
  v1::Verification check;
  check.set_name("tests pass");
  check.add_argv("make");
  check.add_argv("check");
  check.set_working_dir("/srv/app");
  auto spec = verification_spec(check, 30s, kNode);
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"make", "check"}));
  EXPECT_EQ(spec.working_dir, "/srv/app");
  EXPECT_EQ(spec.timeout, 30s);
  EXPECT_EQ(spec.env, (std::vector<std::string>{"PATH=/usr/bin:/bin"}));
  check.set_timeout_ms(250);
  EXPECT_EQ(verification_spec(check, 30s, kNode).timeout, 250ms);
}

TEST(ExecDriver, ExitZeroSucceeds) {
  auto o = run(exec({"printf", "hi"}));
  EXPECT_EQ(o.outcome, v1::OUTCOME_SUCCEEDED);
  EXPECT_EQ(o.output, "hi");
  EXPECT_EQ(o.error, "");
}

TEST(ExecDriver, NonZeroExitFailsWithBothStreams) {
  auto o = run(exec({"sh", "-c", "echo out; echo err >&2; exit 3"}));
  EXPECT_EQ(o.outcome, v1::OUTCOME_FAILED);
  EXPECT_EQ(o.error, "exit code 3");
  EXPECT_EQ(o.output, "out\n--- stderr ---\nerr\n");
}

TEST(ExecDriver, DeathBySignalFails) {
  auto o = run(exec({"sh", "-c", "kill -KILL $$"}));
  EXPECT_EQ(o.outcome, v1::OUTCOME_FAILED);
  EXPECT_EQ(o.error, "killed by SIGKILL");
}

TEST(ExecDriver, TimeoutTimesOut) {
  auto o = run(exec({"sleep", "30"}), 100ms);
  EXPECT_EQ(o.outcome, v1::OUTCOME_TIMED_OUT);
  EXPECT_EQ(o.error, "timed out after 100 ms");
}

TEST(ExecDriver, CancelIsCancelled) {
  CancelToken cancel;
  cancel.cancel();
  auto o = exec_outcome(run_subprocess(exec_spec(exec({"true"}), 5s, kNode), cancel));
  EXPECT_EQ(o.outcome, v1::OUTCOME_CANCELLED);

  SubprocessResult killed;
  killed.started = true;
  killed.cancelled = true;
  killed.term_signal = SIGTERM;
  o = exec_outcome(killed);
  EXPECT_EQ(o.outcome, v1::OUTCOME_CANCELLED);
  EXPECT_EQ(o.error, "cancelled");
}

TEST(ExecDriver, StartErrorFails) {
  auto o = run(exec({"nope"}));
  EXPECT_EQ(o.outcome, v1::OUTCOME_FAILED);
  EXPECT_EQ(o.error, "cannot run 'nope': No such file or directory");
  EXPECT_EQ(o.output, "");
}

TEST(ExecDriver, OutputMarksTruncatedStreams) {
  auto e = exec({"sh", "-c", "head -c 100000 /dev/zero | tr '\\0' o; printf eeee >&2"});
  e.set_output_limit_bytes(3);
  auto o = run(e);
  EXPECT_EQ(o.outcome, v1::OUTCOME_SUCCEEDED) << o.error;
  EXPECT_EQ(o.output,
            "ooo\n--- stdout truncated ---\n--- stderr ---\neee\n--- stderr truncated ---\n");
}

TEST(ExecDriver, ErrorsNeverHoldEnvironmentValues) {
  auto e = exec({"sh", "-c", "echo \"$RAD_DEPLOY_TOKEN\" >&2; exit 1"});
  e.add_env_allow("RAD_DEPLOY_TOKEN");
  e.set_working_dir("/nonexistent");
  auto o = run(e);
  EXPECT_EQ(o.outcome, v1::OUTCOME_FAILED);
  EXPECT_EQ(o.error, "cannot change to working dir '/nonexistent': No such file or directory");
  EXPECT_EQ(o.error.find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace rad
