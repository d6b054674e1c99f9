// A worker killed with -9 in the middle of a run: how soon the coordinator
// finds it down and places its stories again, and that every story still
// succeeds exactly once.
//
//   build/bin/rad-bench-kill [--trials 5] [--stories 20000] [--duration-ms 200]
//                            [--max-concurrent 2000]
//
// Each trial starts a fresh 3-node loopback cluster (coordinator with role
// all, w1, w2) and submits a plan of N mock stories of a fixed duration, at
// most max-concurrent running at once, so that the run lasts several
// durations and agents run on every node. Once a quarter of the stories have
// succeeded and w2 runs agents, w2 gets SIGKILL. From the signal to the time
// stamps of the coordinator's log lines:
//   down      "member w2 is now down";
//   replaced  "node w2 is down: all N of its stories placed again" (the
//             Dispatcher logs it when another node accepted the last of them).
// Then the run must end with every story SUCCEEDED exactly once, by its
// summary and by the checkpoint store. Prints p50 and max of each; exits 1 if
// a trial failed or a max is 2 s or more.
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/api_client.h"
#include "client/plan_shape.h"
#include "client/submit_client.h"
#include "load/bench_cluster.h"
#include "load/exactly_once.h"
#include "rad/v1/run.pb.h"
#include "runtime/error.h"

namespace {

using Clock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;
constexpr double kFloorMs = 2000;

struct Options {
  int trials = 5;
  int stories = 20000;
  int duration_ms = 200;
  int max_concurrent = 2000;
};

std::string plan_json(const Options& o, int trial) {
  rad::PlanShape shape;
  shape.name = "kill-" + std::to_string(trial);
  shape.stories = o.stories;
  shape.duration_ms = static_cast<uint64_t>(o.duration_ms);
  shape.max_concurrent = static_cast<uint32_t>(o.max_concurrent);
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(rad::make_plan(shape), &out);
  return out;
}

// The time stamp of a JSON log record ("ts": "2026-11-26T10:00:00.123Z").
std::optional<SystemClock::time_point> logged_at(const std::string& line) {
  auto record = nlohmann::json::parse(line, nullptr, false);
  if (record.is_discarded() || !record.contains("ts")) return std::nullopt;
  auto ts = record["ts"].get<std::string>();
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) != 7)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return SystemClock::from_time_t(timegm(&tm)) + std::chrono::milliseconds{millis};
}

double ms_between(SystemClock::time_point a, SystemClock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Polls the run until `done` says so about its status; false at the deadline.
template <class Done>
bool await_run(const std::string& api, const std::string& run_id, rad::v1::RunStatus& status,
               Done done) {
  auto deadline = Clock::now() + std::chrono::minutes{5};
  while (Clock::now() < deadline) {
    if (!rad::api_get(api, "/v1/runs/" + run_id + "?stories=false", status) && done(status))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});  // the poll's pace
  }
  return false;
}

struct Trial {
  double down_ms = -1, replaced_ms = -1;
  std::string replaced_line;
};

Trial trial(const Options& o, const std::string& policy, int number) {
  rad::bench::BenchCluster cluster;
  if (!cluster.start(policy)) return {};
  auto api = "http://127.0.0.1:" + std::to_string(cluster.coordinator_http_port());
  auto answer = rad::submit_plan(api, plan_json(o, number));
  if (!answer) {
    std::fprintf(stderr, "submit failed: %s\n", rad::error_message(answer.error()).c_str());
    return {};
  }
  auto run_id = answer->run_id;
  rad::v1::RunStatus status;
  if (!await_run(api, run_id, status, [&](const rad::v1::RunStatus& s) {
        return s.counts().succeeded() >= static_cast<uint32_t>(o.stories / 4) &&
               cluster.metrics(2)["active_agents"] > 0;
      })) {
    std::fprintf(stderr, "trial %d: the run never got a quarter done with agents on w2\n", number);
    cluster.dump();
    return {};
  }
  auto running_on_w2 = cluster.metrics(2)["active_agents"];
  auto killed = cluster.kill_worker(2);
  Trial t;
  auto down = cluster.await_coordinator_line("member w2 is now down", std::chrono::seconds{10});
  auto replaced = cluster.await_coordinator_line(
      "node \\S+ is down: all \\d+ of its stories placed again", std::chrono::seconds{30});
  if (!down || !replaced || !logged_at(*down) || !logged_at(*replaced)) {
    std::fprintf(stderr, "trial %d: the coordinator did not log w2 down and its work moved\n",
                 number);
    cluster.dump();
    return {};
  }
  t.down_ms = ms_between(killed, *logged_at(*down));
  t.replaced_ms = ms_between(killed, *logged_at(*replaced));
  auto message = nlohmann::json::parse(*replaced).value("msg", *replaced);
  if (!await_run(api, run_id, status,
                 [](const rad::v1::RunStatus& s) { return s.has_finished_at(); }) ||
      status.counts().succeeded() != static_cast<uint32_t>(o.stories)) {
    std::fprintf(stderr, "trial %d: the run did not end with all %d stories succeeded: %s\n",
                 number, o.stories, status.counts().ShortDebugString().c_str());
    return {};
  }
  if (!rad::bench::stored_exactly_once(cluster.coordinator_data_dir(), run_id, o.stories))
    return {};
  std::printf(
      "trial %d: w2 killed running ~%.0f agents; down after %.0f ms, its stories placed "
      "again after %.0f ms (%s); all %d stories succeeded exactly once\n",
      number, running_on_w2, t.down_ms, t.replaced_ms, message.c_str(), o.stories);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"rad-bench-kill: kill -9 of a worker under load; detection, rescheduling"};
  app.add_option("--trials", o.trials)->check(CLI::Range(1, 100));
  app.add_option("--stories", o.stories)->check(CLI::Range(100, 1000000));
  app.add_option("--duration-ms", o.duration_ms)->check(CLI::Range(1, 60000));
  app.add_option("--max-concurrent", o.max_concurrent)->check(CLI::Range(1, 1000000));
  rad::bench::BenchOptions bench;
  rad::bench::add_bench_options(app, bench);
  CLI11_PARSE(app, argc, argv);

  std::vector<double> down, replaced;
  for (int i = 1; i <= o.trials; ++i) {
    auto t = trial(o, bench.policy, i);
    if (t.down_ms < 0) return 1;
    down.push_back(t.down_ms);
    replaced.push_back(t.replaced_ms);
  }
  std::sort(down.begin(), down.end());
  std::sort(replaced.begin(), replaced.end());
  std::printf(
      "%d trials, %d stories of %d ms (at most %d at once), w2 killed mid-run:\n"
      "  kill -9 -> coordinator logs w2 down:           p50 %6.0f ms, max %6.0f ms\n"
      "  kill -9 -> every story of w2 placed again:     p50 %6.0f ms, max %6.0f ms (floor: 2 s)\n",
      o.trials, o.stories, o.duration_ms, o.max_concurrent, rad::bench::median(down), down.back(),
      rad::bench::median(replaced), replaced.back());
  return replaced.back() < kFloorMs ? 0 : 1;
}
