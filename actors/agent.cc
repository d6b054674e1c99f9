#include "actors/agent.h"

#include "actors/drivers/mock_driver.h"
#include "runtime/clock.h"
#include "runtime/proto_bridge.h"
#include "runtime/trace.h"

namespace rad {
namespace {

using finish_atom = caf::atom_constant<caf::atom("finish")>;

v1::StoryResult result_of(const v1::SpawnRequest& request, const AgentIdentity& identity,
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

}  // namespace

caf::behavior agent(caf::event_based_actor* self, SpawnRequestPtr request, caf::actor host,
                    AgentIdentity identity) {
  const auto& story = request->story();
  auto attempt =
      plan_mock_attempt(story.has_mock() ? story.mock() : v1::MockDriver::default_instance(),
                        request->run_id(), story.id(), request->attempt());
  auto finish = [=](v1::Outcome outcome, std::string output, std::string error) {
    auto r = result_of(*request, identity, outcome);
    r.set_output(std::move(output));
    r.set_error(std::move(error));
    self->send(host, proto(std::move(r)));
    self->quit();
  };
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

}  // namespace rad
