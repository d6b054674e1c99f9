#include "actors/agent.h"

#include <algorithm>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/drivers/command_runner.h"
#include "actors/drivers/exec_driver.h"
#include "actors/drivers/mock_driver.h"
#include "runtime/clock.h"
#include "runtime/config.h"
#include "runtime/enum_word.h"
#include "runtime/error.h"
#include "runtime/proto_bridge.h"
#include "runtime/span.h"
#include "runtime/trace.h"

namespace rad {
namespace {

// The attempt's `run` span, when the coordinator sampled it: a child of the
// host's `spawn` span (the request's trace).
std::shared_ptr<ActiveSpan> run_span(const v1::SpawnRequest& request) {
  if (!sampled(request.trace().traceparent())) return nullptr;
  auto span = std::make_shared<ActiveSpan>("run", request.trace().traceparent());
  span->attr("run.id", request.run_id())
      .attr("story.id", request.story().id())
      .attr("attempt", request.attempt());
  return span;
}

// Ends the span with the result's outcome; the result continues its context
// (the coordinator's `result` span is its child) and carries it home.
void close_run_span(const std::shared_ptr<ActiveSpan>& span, v1::StoryResult& r) {
  if (!span) return;
  span->attr("outcome", enum_rest(v1::Outcome_Name(r.outcome()), "OUTCOME_"));
  r.mutable_trace()->set_traceparent(span->traceparent());
  if (auto done = span->finish()) *r.add_spans() = std::move(*done);
}

}  // namespace

namespace {

// An attempt's result, finished now on `identity`'s node, continuing the
// trace of `traceparent`.
v1::StoryResult attempt_result(const std::string& run_id, const std::string& story_id,
                               uint32_t attempt, const AgentContext& identity, v1::Outcome outcome,
                               const std::string& traceparent) {
  v1::StoryResult r;
  r.set_run_id(run_id);
  r.set_story_id(story_id);
  r.set_attempt(attempt);
  r.set_outcome(outcome);
  r.set_node_id(identity.node_id);
  r.set_node_incarnation(identity.incarnation);
  *r.mutable_finished_at() = now_timestamp();
  r.mutable_trace()->set_traceparent(child_traceparent(traceparent));
  return r;
}

}  // namespace

v1::StoryResult result_of(const v1::SpawnRequest& request, const AgentContext& identity,
                          v1::Outcome outcome) {
  return attempt_result(request.run_id(), request.story().id(), request.attempt(), identity,
                        outcome, request.trace().traceparent());
}

MockPlan plan_mock(const v1::SpawnRequest& request) {
  const auto& story = request.story();
  const auto& mock = story.has_mock() ? story.mock() : v1::MockDriver::default_instance();
  auto attempt = plan_mock_attempt(mock, request.run_id(), story.id(), request.attempt());
  MockPlan plan;
  plan.duration = attempt.duration;
  plan.ending.outcome = attempt.succeeds ? v1::OUTCOME_SUCCEEDED : v1::OUTCOME_FAILED;
  plan.ending.output_bytes = static_cast<uint32_t>(attempt.output.size());
  plan.crash = request.attempt() <= mock.crash_first_attempts();
  std::chrono::milliseconds timeout{story.timeout_ms()};
  if (timeout.count() > 0 && plan.duration >= timeout) {
    // The attempt would outlast its timeout: it is cut off then.
    plan.duration = timeout;
    plan.ending.outcome = v1::OUTCOME_TIMED_OUT;
    plan.ending.timeout_ms =
        static_cast<uint32_t>(std::min<uint64_t>(story.timeout_ms(), UINT32_MAX));
    plan.ending.output_bytes = 0;
  }
  return plan;
}

std::shared_ptr<ActiveSpan> mock_run_span(const AttemptContext& context,
                                          const std::string& story_id, uint32_t attempt) {
  if (!sampled(context.traceparent)) return nullptr;
  auto span = std::make_shared<ActiveSpan>("run", context.traceparent);
  span->attr("run.id", context.run_id).attr("story.id", story_id).attr("attempt", attempt);
  return span;
}

v1::StoryResult mock_result(const AttemptContext& context, const std::string& story_id,
                            uint32_t attempt, const MockEnding& ending, v1::Outcome outcome,
                            std::chrono::system_clock::time_point started,
                            const std::shared_ptr<ActiveSpan>& span) {
  auto r = attempt_result(context.run_id, story_id, attempt, context.identity, outcome,
                          context.traceparent);
  *r.mutable_started_at() = to_timestamp(started);
  if (outcome == ending.outcome) {
    if (outcome == v1::OUTCOME_SUCCEEDED || outcome == v1::OUTCOME_FAILED)
      r.set_output(std::string(ending.output_bytes, 'x'));
    if (outcome == v1::OUTCOME_FAILED) r.set_error("mock attempt failed");
    if (outcome == v1::OUTCOME_TIMED_OUT)
      r.set_error("timed out after " + std::to_string(ending.timeout_ms) + " ms");
  } else if (outcome == v1::OUTCOME_CANCELLED) {
    r.set_error("cancelled");
  }
  close_run_span(span, r);
  return r;
}

namespace {

// The one report of a mock agent, kept in its behavior (an agent has no state:
// see agent.h). Whatever ends the agent destroys its behavior, so one that
// ends without having reported (it failed, or was killed) reports then, with
// the reason it ended: a functor attached to each agent would cost another
// allocation per agent.
class MockReport {
 public:
  MockReport(mock_agent_actor::pointer self, attempt_host_actor host, MockAgentId id)
      : self_(self), host_(std::move(host)), id_(id) {}
  MockReport(MockReport&& other) noexcept
      : self_(other.self_), host_(std::move(other.host_)), id_(other.id_) {
    other.host_ = nullptr;
  }
  MockReport& operator=(MockReport&&) = delete;
  ~MockReport() {
    // Only an agent that quits with a reason on its own thread reports: its
    // behavior goes before CAF cleans it up. One cleaned up already is being
    // destroyed unreached, on whichever thread let go of it last (its host
    // stopped): nobody awaits it, and a send from it would revive it.
    if (!host_ || self_->getf(caf::abstract_actor::is_cleaned_up_flag) || !self_->fail_state())
      return;
    self_->send(host_, crashed_atom::value, id_, self_->fail_state());
  }

  // The attempt ended as planned, or cancelled: the agent stops.
  void ended(bool cancelled) {
    self_->send(host_, ended_atom::value, id_, cancelled);
    host_ = nullptr;
    self_->quit();
  }
  // Its host ended the attempt: the agent stops and says nothing.
  void dismissed() {
    host_ = nullptr;
    self_->quit();
  }

 private:
  mock_agent_actor::pointer self_;
  attempt_host_actor host_;
  MockAgentId id_;
};

mock_agent_actor::behavior_type mock_agent(mock_agent_actor::pointer self, MockAgentStart start) {
  MockReport report{self, std::move(start.host), start.id};
  if (start.crash) {
    self->quit(make_error(Errc::internal, "mock agent crashed on purpose"));
    // `report` goes with this scope, and tells why.
    return {mock_agent_actor::behavior_type::unsafe_init{}, caf::behavior{}};
  }
  if (start.at_once) {
    report.ended(false);
    return {mock_agent_actor::behavior_type::unsafe_init{}, caf::behavior{}};
  }
  // The host sends finish_atom once the duration has passed. One handler for
  // the three atoms of mock_agent_actor: each handler of a behavior makes it
  // larger (one is 112 bytes with the report, three would be twice that), per
  // agent. So the behavior is checked against the interface by this comment,
  // not the compiler; every send to it is.
  caf::behavior waits{[report = std::move(report)](caf::atom_value what) mutable {
    if (what == finish_atom::value)
      report.ended(false);
    else if (what == cancel_atom::value)
      report.ended(true);
    else if (what == dismiss_atom::value)
      report.dismissed();
  }};
  return {mock_agent_actor::behavior_type::unsafe_init{}, std::move(waits)};
}

}  // namespace

mock_agent_actor spawn_mock_agent(caf::local_actor* host, MockAgentStart start) {
  return host->spawn(mock_agent, std::move(start));
}

namespace {

// One exec attempt between its checks: each command starts when the one
// before it ended well, on the node's CommandRunner; whatever ends the
// attempt sends its one result.
struct ExecAttempt : std::enable_shared_from_this<ExecAttempt> {
  std::shared_ptr<CommandRunner> commands;
  SpawnRequestPtr request;
  caf::actor_addr host;  // weak: a command outliving its host reports to no one
  AgentContext identity;
  CancelToken cancel;
  EnvLookup env = process_environment();
  std::chrono::milliseconds timeout{0};
  google::protobuf::Timestamp started_at = now_timestamp();
  std::shared_ptr<ActiveSpan> span;
  int next_check = 0;
  std::string output;  // the command's, kept when a postcondition fails

  const v1::Story& story() const { return request->story(); }

  void report(AttemptOutcome o) {
    auto r = result_of(*request, identity, o.outcome);
    *r.mutable_started_at() = started_at;
    r.set_exit_code(o.exit_code);
    r.set_output(std::move(o.output));
    r.set_error(std::move(o.error));
    close_run_span(span, r);
    if (auto to = caf::actor_cast<attempt_host_actor>(host))
      caf::anon_send(to, proto(std::move(r)));
  }

  void run(SubprocessSpec spec, void (ExecAttempt::*then)(SubprocessResult)) {
    add_attempt_environment(spec, *request);
    commands->start(std::move(spec), cancel, [self = shared_from_this(), then](SubprocessResult r) {
      ((*self).*then)(std::move(r));
    });
  }

  // Preconditions, one by one, then the command.
  void precondition(SubprocessResult previous) {
    if (next_check > 0 && failed_check(previous, story().preconditions(next_check - 1),
                                       v1::OUTCOME_PRECONDITION_FAILED, "precondition"))
      return;
    if (next_check < story().preconditions_size()) {
      run(verification_spec(story().preconditions(next_check++), timeout, env),
          &ExecAttempt::precondition);
      return;
    }
    next_check = 0;
    run(exec_spec(story().exec(), timeout, env), &ExecAttempt::command);
  }

  void command(SubprocessResult result) {
    auto outcome = exec_outcome(result);
    if (outcome.outcome != v1::OUTCOME_SUCCEEDED || story().postconditions_size() == 0) {
      report(
          {outcome.outcome, result.exit_code, std::move(outcome.output), std::move(outcome.error)});
      return;
    }
    output = std::move(outcome.output);
    run(verification_spec(story().postconditions(next_check++), timeout, env),
        &ExecAttempt::postcondition);
  }

  void postcondition(SubprocessResult previous) {
    if (failed_check(previous, story().postconditions(next_check - 1),
                     v1::OUTCOME_POSTCONDITION_FAILED, "postcondition"))
      return;
    if (next_check < story().postconditions_size()) {
      run(verification_spec(story().postconditions(next_check++), timeout, env),
          &ExecAttempt::postcondition);
      return;
    }
    report({v1::OUTCOME_SUCCEEDED, 0, std::move(output), ""});
  }

  // A failing check fails the attempt with its own outcome and says which check.
  bool failed_check(const SubprocessResult& run, const v1::Verification& v, v1::Outcome failed,
                    const char* kind) {
    auto outcome = exec_outcome(run);
    if (outcome.outcome == v1::OUTCOME_SUCCEEDED) return false;
    auto name = v.name().empty() ? v.argv(0) : v.name();
    bool cut = outcome.outcome == v1::OUTCOME_CANCELLED || outcome.outcome == v1::OUTCOME_TIMED_OUT;
    report({cut ? outcome.outcome : failed, run.exit_code, std::move(output),
            std::string{kind} + " '" + name + "' failed: " + outcome.error});
    return true;
  }
};

}  // namespace

bool runs_commands(const v1::Story& story, bool use_real) { return use_real && story.has_exec(); }

void start_exec_attempt(SpawnRequestPtr request, const attempt_host_actor& host,
                        AgentContext identity, CancelToken cancel) {
  auto attempt = std::make_shared<ExecAttempt>();
  attempt->commands = identity.commands ? identity.commands : shared_command_runner();
  attempt->timeout = std::chrono::milliseconds{request->story().timeout_ms()};
  attempt->span = run_span(*request);
  attempt->request = std::move(request);
  attempt->host = host.address();
  attempt->identity = std::move(identity);
  attempt->cancel = std::move(cancel);
  attempt->precondition({});
}

}  // namespace rad
