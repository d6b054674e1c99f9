// How fast the coordinator answers status while a large run keeps it busy.
//
//   build/bin/rad-bench-status [--stories 1000000] [--max-ms 100] [--scheduler-policy ...]
//
// A 3-node loopback cluster (as rad-bench-e2e). One plan of N zero-duration
// mock stories is submitted; a client polls GET /v1/runs/ID?stories=false
// every 10 ms until the run is over, and each round also GETs /v1/runs,
// /v1/nodes and /health. Prints p50, p99 and max of the status latency (and of
// the other paths). Exits 1 when any answer is not 200, when the status's max
// latency is above --max-ms (100: these answer from published views, never
// behind the run), or when the run does not succeed.
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client/api_client.h"
#include "client/plan_shape.h"
#include "client/status_poll.h"
#include "client/submit_client.h"
#include "load/bench_cluster.h"
#include "rad/v1/run.pb.h"
#include "runtime/error.h"

int main(int argc, char** argv) {
  int stories = 1000000;
  double max_ms = 100;
  CLI::App app{"rad-bench-status: status latency while a large run keeps the coordinator busy"};
  app.add_option("--stories", stories)->check(CLI::Range(1, 1000000));
  app.add_option("--max-ms", max_ms, "fail when the status's max latency is above this");
  rad::bench::BenchOptions bench;
  rad::bench::add_bench_options(app, bench);
  CLI11_PARSE(app, argc, argv);

  rad::bench::BenchCluster cluster;
  if (!cluster.start(bench.policy)) return 1;
  auto api = "http://127.0.0.1:" + std::to_string(cluster.coordinator_http_port());
  rad::PlanShape shape;
  shape.name = "status-bench";
  shape.stories = stories;
  std::string plan;
  (void)google::protobuf::util::MessageToJsonString(rad::make_plan(shape), &plan);
  auto submitted = rad::submit_plan(api, plan);
  if (!submitted) {
    std::fprintf(stderr, "submit failed: %s\n", rad::error_message(submitted.error()).c_str());
    cluster.dump();
    return 1;
  }
  auto run_id = submitted->run_id;

  rad::PollOptions options;
  options.path = "/v1/runs/" + run_id + "?stories=false";
  options.also = {"/v1/runs", "/v1/nodes", "/health"};
  auto report = rad::poll_until_over(cluster.coordinator_http_port(), options);
  std::printf("status of a %d-story run while it ran: %s\n", stories, report.summary().c_str());

  bool ok = true;
  for (const auto& e : report.errors) std::fprintf(stderr, "not 200: %s\n", e.c_str());
  if (!report.errors.empty()) ok = false;
  if (!report.ended) {
    std::fprintf(stderr, "the run did not end within the poll's deadline\n");
    ok = false;
  }
  if (report.max() > max_ms) {
    std::fprintf(stderr, "status max latency %.1f ms is above %.0f ms\n", report.max(), max_ms);
    ok = false;
  }
  rad::v1::RunStatus status;
  if (auto err = rad::api_get(api, options.path, status)) {
    std::fprintf(stderr, "final status: %s\n", rad::error_message(err).c_str());
    ok = false;
  } else if (status.counts().succeeded() != static_cast<uint32_t>(stories)) {
    std::fprintf(stderr, "only %u of %d stories succeeded\n", status.counts().succeeded(), stories);
    ok = false;
  }
  if (!ok) cluster.dump();
  return ok ? 0 : 1;
}
