#include "actors/agent.h"

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

using finish_atom = caf::atom_constant<caf::atom("finish")>;

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

v1::StoryResult result_of(const v1::SpawnRequest& request, const AgentContext& identity,
                          v1::Outcome outcome) {
  v1::StoryResult r;
  r.set_run_id(request.run_id());
  r.set_story_id(request.story().id());
  r.set_attempt(request.attempt());
  r.set_outcome(outcome);
  r.set_node_id(identity.node_id);
  r.set_node_incarnation(identity.incarnation);
  *r.mutable_finished_at() = now_timestamp();
  r.mutable_trace()->set_traceparent(child_traceparent(request.trace().traceparent()));
  return r;
}

caf::behavior agent(caf::event_based_actor* self, SpawnRequestPtr request, caf::actor host,
                    AgentContext identity) {
  const auto& story = request->story();
  auto attempt =
      plan_mock_attempt(story.has_mock() ? story.mock() : v1::MockDriver::default_instance(),
                        request->run_id(), story.id(), request->attempt());
  auto started_at = now_timestamp();
  auto span = run_span(*request);
  auto finish = [=](v1::Outcome outcome, std::string output, std::string error) {
    auto r = result_of(*request, identity, outcome);
    *r.mutable_started_at() = started_at;
    r.set_output(std::move(output));
    r.set_error(std::move(error));
    close_run_span(span, r);
    self->send(host, proto(std::move(r)));
    self->quit();
  };
  if (request->attempt() <= story.mock().crash_first_attempts()) {
    self->quit(make_error(Errc::internal, "mock agent crashed on purpose"));
    return {};
  }
  auto outcome = attempt.succeeds ? v1::OUTCOME_SUCCEEDED : v1::OUTCOME_FAILED;
  auto error = attempt.succeeds ? std::string{} : std::string{"mock attempt failed"};
  std::chrono::milliseconds timeout{story.timeout_ms()};
  if (timeout.count() > 0 && attempt.duration >= timeout) {
    // The attempt would outlast its timeout: it is cut off then.
    attempt.duration = timeout;
    outcome = v1::OUTCOME_TIMED_OUT;
    error = "timed out after " + std::to_string(timeout.count()) + " ms";
    attempt.output.clear();
  }
  if (attempt.duration.count() == 0) {
    finish(outcome, attempt.output, error);
    return {};
  }
  self->delayed_send(self, attempt.duration, finish_atom::value);
  return {
      [=](finish_atom) { finish(outcome, attempt.output, error); },
      [=](cancel_atom) { finish(v1::OUTCOME_CANCELLED, "", "cancelled"); },
  };
}

caf::behavior blocking_agent(caf::event_based_actor* self, SpawnRequestPtr request, caf::actor host,
                             AgentContext context, CancelToken cancel,
                             std::shared_ptr<BlockingDriver> driver) {
  const auto& story = request->story();
  auto env = process_environment();
  std::chrono::milliseconds timeout{story.timeout_ms()};
  auto started_at = now_timestamp();
  auto span = run_span(*request);
  auto report = [&](const AttemptOutcome& o) {
    auto r = result_of(*request, context, o.outcome);
    *r.mutable_started_at() = started_at;
    r.set_exit_code(o.exit_code);
    r.set_output(o.output);
    r.set_error(o.error);
    close_run_span(span, r);
    self->send(host, proto(std::move(r)));
    self->quit();
    return caf::behavior{};
  };
  // A failing check fails the attempt with its own outcome and says which check.
  auto check = [&](const v1::Verification& v, v1::Outcome failed,
                   const char* kind) -> std::optional<AttemptOutcome> {
    auto run = run_subprocess(verification_spec(v, timeout, env), cancel);
    auto outcome = exec_outcome(run);
    if (outcome.outcome == v1::OUTCOME_SUCCEEDED) return std::nullopt;
    auto name = v.name().empty() ? v.argv(0) : v.name();
    bool cut = outcome.outcome == v1::OUTCOME_CANCELLED || outcome.outcome == v1::OUTCOME_TIMED_OUT;
    return AttemptOutcome{cut ? outcome.outcome : failed, run.exit_code, "",
                          std::string{kind} + " '" + name + "' failed: " + outcome.error};
  };
  for (const auto& v : story.preconditions())
    if (auto failed = check(v, v1::OUTCOME_PRECONDITION_FAILED, "precondition"))
      return report(*failed);
  auto outcome = driver->run(*request, cancel);
  if (outcome.outcome == v1::OUTCOME_SUCCEEDED)
    for (const auto& v : story.postconditions())
      if (auto failed = check(v, v1::OUTCOME_POSTCONDITION_FAILED, "postcondition")) {
        failed->output = std::move(outcome.output);
        return report(*failed);
      }
  return report(outcome);
}

}  // namespace rad
