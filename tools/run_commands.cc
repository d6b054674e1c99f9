#include "tools/run_commands.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "client/api_client.h"
#include "client/span_tree.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"
#include "rad/v1/trace.pb.h"
#include "runtime/cli.h"
#include "runtime/enum_word.h"
#include "runtime/error.h"
#include "runtime/idempotency_key.h"
#include "runtime/plan_validation.h"
#include "runtime/proto_file.h"

namespace rad {
namespace {

int fail(const caf::error& err) { return report_failure("radctl", err); }

std::string state_name(v1::RunState s) { return enum_word(v1::RunState_Name(s)); }

std::string to_json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

// "build [running]: 12/50 succeeded, 3 running, 30 pending, 1 retrying, 4 dead": pending
// stories wait for their dependencies or for a node to take them (a refusal,
// e.g. every node at its agent limit, is no failure); retrying ones failed an
// attempt and wait for their backoff.
std::string progress_line(const v1::WaveStatus& w) {
  const auto& c = w.counts();
  std::string line = w.name() + " [" + state_name(w.state()) +
                     "]: " + std::to_string(c.succeeded()) + "/" + std::to_string(c.total()) +
                     " succeeded";
  auto add = [&](uint32_t n, const char* what) {
    if (n > 0) line += ", " + std::to_string(n) + " " + what;
  };
  add(c.scheduled() + c.running(), "running");
  add(c.pending(), "pending");
  add(c.failed(), "retrying");
  add(c.dead(), "dead");
  add(c.cancelled(), "cancelled");
  return line;
}

// Scheduled stories not on a node yet: waiting at the coordinator, exec ones
// for a free command slot (agents.exec_slots). Empty when none wait.
std::string queued_line(const v1::RunStatus& status) {
  if (status.queued() == 0) return {};
  return std::to_string(status.queued()) +
         " running stories wait at the coordinator for a free command slot or a node";
}

caf::expected<v1::RunStatus> fetch_status(const std::string& api, const std::string& run_id,
                                          bool with_stories) {
  v1::RunStatus status;
  auto path = "/v1/runs/" + run_id + (with_stories ? "" : "?stories=false");
  if (auto err = api_get(api, path, status)) return err;
  return status;
}

bool over(v1::RunState s) {
  return s == v1::RUN_STATE_SUCCEEDED || s == v1::RUN_STATE_FAILED || s == v1::RUN_STATE_CANCELLED;
}

// Follows the run until it ends: on a terminal the wave lines are redrawn in
// place, otherwise a line is printed whenever a wave's progress changes.
int follow(const std::string& api, const std::string& run_id, std::chrono::milliseconds interval) {
  bool tty = ::isatty(STDERR_FILENO) == 1;
  std::vector<std::string> shown;
  for (;;) {
    auto status = fetch_status(api, run_id, false);
    if (!status) return fail(status.error());
    std::vector<std::string> lines;
    for (const auto& w : status->waves()) lines.push_back(progress_line(w));
    if (auto queued = queued_line(*status); !queued.empty()) lines.push_back(queued);
    if (tty) {
      if (!shown.empty()) std::cerr << "\x1b[" << shown.size() << "F";
      for (const auto& l : lines) std::cerr << "\x1b[2K" << l << "\n";
      std::cerr << "\x1b[J";  // a line fewer than last time (nothing queued now)
    } else {
      for (size_t i = 0; i < lines.size(); ++i)
        if (i >= shown.size() || shown[i] != lines[i]) std::cerr << lines[i] << "\n";
    }
    shown = std::move(lines);
    if (over(status->state())) {
      const auto& c = status->counts();
      std::cerr << "run " << run_id << " " << state_name(status->state()) << ": " << c.succeeded()
                << " succeeded, " << c.dead() << " dead, " << c.cancelled() << " cancelled"
                << (status->error().empty() ? "" : "; " + status->error()) << "\n";
      return status->state() == v1::RUN_STATE_SUCCEEDED ? 0 : 1;
    }
    std::this_thread::sleep_for(interval);  // polling the API: the pace of the display
  }
}

}  // namespace

int check_plan_file(const std::string& path) {
  v1::Plan plan;
  if (auto err = load_proto_file(path, kMaxPlanBytes, plan)) return fail(err);
  if (auto problems = validate_plan(plan); !problems.empty()) {
    std::cerr << "radctl: " << path << ": plan '" << plan.name() << "' has " << problems.size()
              << (problems.size() == 1 ? " problem:\n" : " problems:\n");
    for (const auto& p : problems)
      std::cerr << "  " << (p.path.empty() ? "plan" : p.path) << ": " << p.reason << "\n";
    return 2;
  }
  int stories = 0;
  for (const auto& wave : plan.waves()) stories += wave.stories_size();
  std::cout << "plan '" << plan.name() << "' is valid: " << plan.waves_size() << " waves, "
            << stories << " stories\n";
  return 0;
}

int submit_command(const SubmitOptions& options) {
  if (!options.key.empty())
    if (auto err = check_idempotency_key(options.key, "--key")) return fail(err);
  // Read and sent as JSON; the coordinator validates it, once, and answers
  // every problem (exit 2).
  v1::Plan plan;
  if (auto err = load_proto_file(options.plan_path, kMaxPlanBytes, plan)) return fail(err);
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(plan, &body);
  auto key = options.key.empty() ? new_idempotency_key() : options.key;
  auto submitted = submit_plan(options.api, body, key, options.retries);
  if (!submitted) return fail(submitted.error());
  if (submitted->existing)
    std::cerr << "radctl: run " << submitted->run_id
              << " was made by an earlier submit under this key; it is not submitted again\n";
  std::cout << submitted->run_id << std::endl;
  if (!options.wait) return 0;
  return follow(options.api, submitted->run_id, options.poll_interval);
}

int status_command(const std::string& api, const std::string& run_id, bool json) {
  auto status = fetch_status(api, run_id, json);
  if (!status) return fail(status.error());
  if (json) {
    std::cout << to_json(*status) << "\n";
    return 0;
  }
  const auto& c = status->counts();
  std::cout << "run " << status->run_id() << " (plan '" << status->plan_name() << "') "
            << state_name(status->state()) << ": " << c.succeeded() << "/" << c.total()
            << " succeeded" << (status->error().empty() ? "" : "; " + status->error()) << "\n";
  for (const auto& w : status->waves()) std::cout << "  " << progress_line(w) << "\n";
  if (auto queued = queued_line(*status); !queued.empty()) std::cout << "  " << queued << "\n";
  return 0;
}

int trace_command(const std::string& api, const std::string& run_id, const std::string& story,
                  bool json) {
  v1::SpanList spans;
  auto path = "/v1/runs/" + run_id + "/trace" + (story.empty() ? "" : "?story=" + story);
  if (auto err = api_get(api, path, spans)) return fail(err);
  if (json) {
    std::cout << to_json(spans) << "\n";
    return spans.spans_size() > 0 ? 0 : 1;
  }
  if (spans.spans_size() == 0) {
    std::cerr << "radctl: the coordinator kept no spans of run " << run_id
              << (story.empty() ? "" : " story " + story)
              << " (trace.spans off, the attempt beyond trace.story_spans_per_run, or the run "
                 "older than the last trace.keep_runs)\n";
    return 1;
  }
  std::cout << render_span_tree(spans);
  return 0;
}

int cancel_command(const std::string& api, const std::string& run_id) {
  auto answer = api_request("POST", api, "/v1/runs/" + run_id + "/cancel");
  if (!answer) return fail(answer.error());
  v1::RunStatus status;
  if (auto err = parse_answer(*answer, "the API", status)) return fail(err);
  std::cout << "run " << run_id << " "
            << (over(status.state()) ? state_name(status.state()) : std::string{"cancelling"})
            << "\n";
  return 0;
}

int runs_command(const std::string& api, bool json) {
  v1::RunList list;
  if (auto err = api_get(api, "/v1/runs", list)) return fail(err);
  if (json) {
    std::cout << to_json(list) << "\n";
    return 0;
  }
  std::printf("%-18s %-24s %-10s %9s %7s %6s\n", "RUN", "PLAN", "STATE", "SUCCEEDED", "DEAD",
              "TOTAL");
  for (const auto& r : list.runs())
    std::printf("%-18s %-24s %-10s %9u %7u %6u\n", r.run_id().c_str(), r.plan_name().c_str(),
                state_name(r.state()).c_str(), r.counts().succeeded(), r.counts().dead(),
                r.counts().total());
  return 0;
}

}  // namespace rad
