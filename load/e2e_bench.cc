// Stories through the whole path, next to bare CAF's spawn rate in the same run.
//
//   build/bin/rad-bench-e2e [--stories 100000] [--repeat 3] [--scheduler-policy sharing|stealing]
//
// A 3-node loopback cluster (coordinator with role all, two workers). Each
// round submits a plan of N zero-duration mock stories (one wave, no
// dependencies) to the coordinator's HTTP API and follows it until it is
// over: validate, place, spawn on the three nodes, result, state. Timed from
// the POST to the poll that sees the run over (polls every 10 ms); the
// server's own span (started_at to finished_at) is printed too. Bare CAF: one
// process spawning N actors that each answer once. Exits 1 unless every story
// succeeded and no member was reported suspect or down.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "load/bench_cluster.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"
#include "runtime/error.h"
#include "tools/api_client.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string plan_json(int stories, int round) {
  rad::v1::Plan plan;
  plan.set_name("e2e-" + std::to_string(round));
  auto* wave = plan.add_waves();
  wave->set_name("all");
  for (int i = 0; i < stories; ++i) {
    auto* s = wave->add_stories();
    s->set_id("s" + std::to_string(i));
    s->mutable_mock();
  }
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(plan, &out);
  return out;
}

struct Round {
  double client_rate = -1, server_rate = -1;
};

Round run_round(const std::string& api, int stories, int round) {
  auto body = plan_json(stories, round);
  auto start = Clock::now();
  auto answer = rad::api_request("POST", api, "/v1/runs", body);
  if (!answer) {
    std::fprintf(stderr, "submit failed: %s\n", rad::error_message(answer.error()).c_str());
    return {};
  }
  auto run_id = nlohmann::json::parse(*answer)["runId"].get<std::string>();
  auto submitted = Clock::now();
  rad::v1::RunStatus status;
  auto deadline = start + std::chrono::minutes{5};
  while (Clock::now() < deadline) {
    if (auto err = rad::api_get(api, "/v1/runs/" + run_id + "?stories=false", status)) {
      std::fprintf(stderr, "status failed: %s\n", rad::error_message(err).c_str());
      return {};
    }
    if (status.has_finished_at()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});  // the poll's pace
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (status.counts().succeeded() != static_cast<uint32_t>(stories)) {
    std::fprintf(stderr, "run %s: only %u of %d stories succeeded: %s\n", run_id.c_str(),
                 status.counts().succeeded(), stories, status.ShortDebugString().c_str());
    return {};
  }
  using google::protobuf::util::TimeUtil;
  double server = static_cast<double>(TimeUtil::DurationToMicroseconds(status.finished_at() -
                                                                       status.started_at())) /
                  1e6;
  std::fprintf(stderr, "submit %.0f ms, run %.0f ms on the coordinator, %.0f ms in all\n",
               std::chrono::duration<double, std::milli>(submitted - start).count(), server * 1e3,
               seconds * 1e3);
  return {stories / seconds, stories / server};
}

}  // namespace

int main(int argc, char** argv) {
  int stories = 100000;
  CLI::App app{"rad-bench-e2e: stories through the whole path on 3 loopback nodes vs bare CAF"};
  app.add_option("--stories", stories)->check(CLI::Range(1, 1000000));
  rad::bench::BenchOptions bench;
  rad::bench::add_bench_options(app, bench);
  CLI11_PARSE(app, argc, argv);
  int repeat = bench.repeat;
  const auto& policy = bench.policy;

  rad::bench::BenchCluster cluster;
  if (!cluster.start(policy)) return 1;
  auto api = "http://127.0.0.1:" + std::to_string(cluster.coordinator_http_port());
  std::vector<double> client, server, bare;
  for (int round = 0; round < repeat; ++round) {
    auto r = run_round(api, stories, round);
    if (r.client_rate < 0) {
      cluster.dump();
      return 1;
    }
    client.push_back(r.client_rate);
    server.push_back(r.server_rate);
    bare.push_back(rad::bench::bare_caf_spawn_rate(stories, policy));
    std::printf(
        "round %d: rad %.0f stories/s end to end (%.0f/s start to finish on the "
        "coordinator), bare CAF %.0f actors/s\n",
        round + 1, client.back(), server.back(), bare.back());
  }
  double c = rad::bench::median(client), s = rad::bench::median(server),
         b = rad::bench::median(bare);
  std::printf(
      "median of %d: rad %.0f stories/s end to end (%.0f/s on the coordinator), bare CAF "
      "%.0f actors/s, ratio %.2f\n",
      repeat, c, s, b, c / b);
  long alarms = cluster.false_alarms();
  std::printf("false alarms (suspect or down) during the run: %ld\n", alarms);
  return alarms == 0 ? 0 : 1;
}
