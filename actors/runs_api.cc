#include "actors/runs_api.h"

#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/agent.h"
#include "actors/checkpoint.h"
#include "actors/supervisor.h"
#include "runtime/error.h"
#include "runtime/http_json.h"
#include "runtime/plan_validation.h"
#include "runtime/proto_bridge.h"
#include "runtime/proto_file.h"

namespace rad {
namespace {

using namespace std::chrono_literals;

// Submitting builds the run's state: allow for plans of a million stories.
constexpr auto kSubmitTimeout = std::chrono::seconds{30};
constexpr auto kQueryTimeout = std::chrono::seconds{5};

HttpResponse problems_response(const v1::Plan& plan, const std::vector<PlanProblem>& problems) {
  nlohmann::json body;
  body["error"] = error_message(plan_error(plan, problems));
  body["problems"] = nlohmann::json::array();
  for (const auto& p : problems)
    body["problems"].push_back({{"path", p.path}, {"reason", p.reason}});
  return {400, body.dump(), "application/json"};
}

// Whom a route asks, and how long it waits.
struct Asked {
  const caf::actor& actor;
  const char* who;
  std::chrono::milliseconds timeout = kQueryTimeout;
};

// Its answer, a message of type Answer, becomes JSON with `status`.
template <class Answer, class... Ts>
HttpResponse ask(caf::actor_system& system, const Asked& to, int status, Ts&&... message) {
  caf::scoped_actor self{system};
  HttpResponse response = error_response(503, std::string{to.who} + " did not answer");
  self->request(to.actor, to.timeout, std::forward<Ts>(message)...)
      .receive([&](const Proto<Answer>& a) { response = json_response(a.value, status); },
               [&](const caf::error& err) { response = error_response(err); });
  return response;
}

}  // namespace

void add_run_routes(HttpServer& server, caf::actor_system& system, caf::actor supervisor,
                    caf::actor checkpoint) {
  // Compacting or copying a large store takes its time.
  auto store = [checkpoint] { return Asked{checkpoint, "the checkpoint actor", 10min}; };
  server.route("POST", "/v1/compact", [&system, store](const HttpRequest& request) {
    auto it = request.query.find("dryRun");
    bool dry = it != request.query.end() && it->second == "true";
    return ask<v1::CompactionReport>(system, store(), 200, compact_atom::value, dry);
  });
  server.route("POST", "/v1/backup", [&system, store](const HttpRequest&) {
    return ask<v1::BackupReport>(system, store(), 200, backup_atom::value);
  });
  server.route("POST", "/v1/runs", [&system, supervisor](const HttpRequest& request) {
    v1::Plan plan;
    if (auto err = parse_proto_text(request.body, FileFormat::json, "request body", plan))
      return error_response(err);
    // The Supervisor validates; only a refused plan is validated here again,
    // for the problems as a list.
    auto submission = caf::make_message(submit_atom::value, proto(std::move(plan)));
    caf::scoped_actor self{system};
    HttpResponse response = error_response(503, "the supervisor did not answer");
    self->request(supervisor, kSubmitTimeout, submission)
        .receive(
            [&](const std::string& run_id) {
              response = {201, nlohmann::json{{"runId", run_id}}.dump(), "application/json"};
            },
            [&](const caf::error& err) {
              const auto& refused = submission.get_as<Proto<v1::Plan>>(1).value;
              auto problems = validate_plan(refused);
              response = is(err, Errc::invalid_input) && !problems.empty()
                             ? problems_response(refused, problems)
                             : error_response(err);
            });
    return response;
  });
  server.route("GET", "/v1/runs", [&system, supervisor](const HttpRequest&) {
    return ask<v1::RunList>(system, {supervisor, "the supervisor"}, 200, list_atom::value);
  });
  server.route("GET", "/v1/runs/([^/]+)", [&system, supervisor](const HttpRequest& request) {
    auto it = request.query.find("stories");
    bool with_stories = it == request.query.end() || it->second != "false";
    return ask<v1::RunStatus>(system, {supervisor, "the supervisor"}, 200, status_atom::value,
                              request.params.at(0), with_stories);
  });
  server.route("POST", "/v1/runs/([^/]+)/cancel",
               [&system, supervisor](const HttpRequest& request) {
                 return ask<v1::RunStatus>(system, {supervisor, "the supervisor"}, 202,
                                           cancel_atom::value, request.params.at(0));
               });
}

}  // namespace rad
