#include "actors/runs_api.h"

#include <caf/scoped_actor.hpp>
#include <iterator>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "actors/route_ask.h"
#include "protocol/checkpoint.h"
#include "runtime/error.h"
#include "runtime/http_json.h"
#include "runtime/idempotency_key.h"
#include "runtime/plan_validation.h"
#include "runtime/proto_bridge.h"
#include "runtime/proto_file.h"
#include "runtime/span.h"
#include "runtime/trace.h"
#include "runtime/tracer.h"

namespace rad {
namespace {

using namespace std::chrono_literals;

// Submitting builds the run's state: allow for plans of a million stories.
constexpr auto kSubmitTimeout = std::chrono::seconds{30};
static_assert(kMaxPlanBytes <= kMaxHttpBodyBytes, "the API takes every plan radctl sends");

bool has_story(const v1::Span& s, const std::string& story) {
  for (const auto& a : s.attributes())
    if (a.key() == "story.id") return a.string_value() == story;
  return false;
}

// The spans of `story` and their ancestors (the run's batch spans they hang from).
v1::SpanList story_spans(std::vector<v1::Span> spans, const std::string& story) {
  std::unordered_map<std::string, const v1::Span*> by_id;
  for (const auto& s : spans) by_id.emplace(s.span_id(), &s);
  std::unordered_set<std::string> wanted;
  for (const auto& s : spans) {
    if (!has_story(s, story)) continue;
    for (const v1::Span* at = &s; at && wanted.insert(at->span_id()).second;) {
      auto parent = by_id.find(at->parent_span_id());
      at = parent == by_id.end() ? nullptr : parent->second;
    }
  }
  v1::SpanList out;
  for (auto& s : spans)
    if (wanted.count(s.span_id())) *out.add_spans() = std::move(s);
  return out;
}

// The request's idempotency key: empty when it has none; an invalid_input
// error when it is not one (runtime/idempotency_key.h) or comes twice.
caf::expected<std::string> idempotency_key_of(const HttpRequest& request) {
  auto [first, last] = request.headers.equal_range("idempotency-key");
  if (first == last) return std::string{};
  if (std::next(first) != last)
    return make_error(Errc::invalid_input,
                      "the Idempotency-Key header comes more than once; send it once");
  if (auto err = check_idempotency_key(first->second, "the Idempotency-Key header")) return err;
  return first->second;
}

// The spans kept of the trace of a run whose status is `status`.
HttpResponse spans_of(const v1::RunStatus& status, const HttpRequest& request) {
  auto spans = kept_spans(trace_id_of(status.trace().traceparent()));
  auto story = request.query.find("story");
  v1::SpanList list;
  if (story != request.query.end())
    list = story_spans(std::move(spans), story->second);
  else
    for (auto& s : spans) *list.add_spans() = std::move(s);
  return json_response(list, 200);
}

// The run's trace id, from its published status, else from the Supervisor
// (which knows every run it keeps).
HttpResponse trace_of(caf::actor_system& system, const supervisor_actor& supervisor,
                      RunViews* views, const HttpRequest& request) {
  if (views)
    if (auto view = views->find(request.params.at(0)); view && view->summary)
      return spans_of(*view->summary, request);
  caf::scoped_actor self{system};
  HttpResponse response = error_response(503, "the supervisor did not answer");
  self->request(supervisor, kRouteAskTimeout, status_atom::value, request.params.at(0), false)
      .receive(
          [&](const Proto<v1::RunStatus>& status) { response = spans_of(status.value, request); },
          [&](const caf::error& err) { response = error_response(err); });
  return response;
}

// The run's published status, if its view answers the request (see runs_api.h).
std::shared_ptr<const v1::RunStatus> published(RunViews* views, const std::string& run_id,
                                               bool with_stories) {
  if (!views) return nullptr;
  auto view = views->find(run_id);
  if (!view || !view->summary) return nullptr;
  if (!with_stories) return view->summary;
  if (view->from_store) return nullptr;
  // Stories kept fresh: those of small and of ended runs, and of large ones
  // whose stories were asked for lately (each ask keeps them coming).
  bool wanted = views->stories_wanted(run_id);
  views->want_stories(run_id);
  bool fresh = view->final || view->summary->counts().total() <= kEagerStories || wanted;
  return fresh ? view->stories : nullptr;
}

// The status with what of the run waits in the Dispatcher's queue, if any.
HttpResponse with_queued(const v1::RunStatus& status, const NodeViews* node_views) {
  if (auto queue = node_views ? node_views->queue.get() : nullptr)
    if (auto it = queue->by_run.find(status.run_id()); it != queue->by_run.end()) {
      auto copy = status;
      copy.set_queued(it->second);
      return json_response(copy, 200);
    }
  return json_response(status, 200);
}

}  // namespace

void add_run_routes(HttpServer& server, caf::actor_system& system, supervisor_actor supervisor,
                    checkpoint_actor checkpoint, std::shared_ptr<RunViews> views,
                    std::shared_ptr<const NodeViews> node_views) {
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
    auto key = idempotency_key_of(request);
    if (!key) return error_response(key.error());
    v1::Plan plan;
    if (auto err = parse_proto_text(request.body, FileFormat::json, "request body", plan))
      return error_response(err);
    // The root of the run's trace; sampled only when this node records spans.
    auto span = ActiveSpan::root("submit", spans_enabled());
    span.attr("plan", plan.name());
    // The Supervisor validates: an invalid plan comes back with its problems.
    caf::scoped_actor self{system};
    HttpResponse response = error_response(503, "the supervisor did not answer");
    self->request(supervisor, kSubmitTimeout, submit_atom::value, proto(std::move(plan)),
                  span.traceparent(), *key)
        .receive(
            [&](const Proto<v1::SubmitReply>& reply) {
              if (reply.value.has_refused()) {
                span.attr("outcome", "refused");
                response = json_response(reply.value.refused(), 400);
                return;
              }
              const auto& run_id = reply.value.run_id();
              bool existing = reply.value.existing();
              span.attr("run.id", run_id).attr("outcome", existing ? "existing" : "accepted");
              // 201 either way: the answer the first submit had, so a client
              // whose answer was lost reads the same on its retry.
              response = {201, nlohmann::json{{"runId", run_id}, {"existing", existing}}.dump(),
                          "application/json"};
            },
            [&](const caf::error& err) {
              // No answer in time is no refusal: the run may be made and
              // stored later. 504, not 503 (which says nothing was made).
              if (err == caf::sec::request_timeout) {
                span.attr("outcome", "unconfirmed");
                response = error_response(
                    504, "the run was not confirmed within " +
                             std::to_string(kSubmitTimeout.count()) +
                             " s (is the checkpoint store slow or full?); it may still run: "
                             "submit again with the same Idempotency-Key to be sure it runs once");
                return;
              }
              span.attr("outcome", "refused");
              response = error_response(err);
            });
    span.finish();
    return response;
  });
  server.route("GET", "/v1/runs", [&system, supervisor, views](const HttpRequest&) {
    if (views) return json_response(views->list(), 200);
    return ask<v1::RunList>(system, Asked{supervisor, "the supervisor"}, 200, list_atom::value);
  });
  server.route("GET", "/v1/runs/([^/]+)",
               [&system, supervisor, views, node_views](const HttpRequest& request) {
                 auto it = request.query.find("stories");
                 bool with_stories = it == request.query.end() || it->second != "false";
                 if (auto status = published(views.get(), request.params.at(0), with_stories))
                   return with_queued(*status, node_views.get());
                 // A run that is over, with its stories, is read from the store: a
                 // million-story run's plan and stories take seconds, more on a busy node.
                 auto timeout = with_stories ? kStoredStatusTimeout : kRouteAskTimeout;
                 return ask<v1::RunStatus>(system, Asked{supervisor, "the supervisor", timeout},
                                           200, status_atom::value, request.params.at(0),
                                           with_stories);
               });
  server.route("GET", "/v1/runs/([^/]+)/trace",
               [&system, supervisor, views](const HttpRequest& request) {
                 return trace_of(system, supervisor, views.get(), request);
               });
  server.route("POST", "/v1/runs/([^/]+)/cancel",
               [&system, supervisor](const HttpRequest& request) {
                 return ask<v1::RunStatus>(system, Asked{supervisor, "the supervisor"}, 202,
                                           cancel_run_atom::value, request.params.at(0));
               });
}

}  // namespace rad
