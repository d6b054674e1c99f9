// What tracing costs: the end-to-end benchmark of issue [3] on two 3-node
// loopback clusters, one recording spans (trace.spans=true, the default
// trace.story_spans_per_run unless --story-spans says otherwise) and one with
// spans off, rounds alternating between them. With --otlp, the tracing cluster
// also exports every span to a receiver in this process, which counts them.
//
//   build/bin/rad-bench-trace [--stories 100000] [--repeat 3] [--story-spans N] [--otlp]
//
// Floor (issue [5]): tracing costs at most 5% of the throughput. Exits 1 if a
// round fails.
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <thread>

#include "harness/process.h"
#include "load/bench_cluster.h"
#include "load/e2e_round.h"

int main(int argc, char** argv) {
  int stories = 100000;
  long story_spans = -1;
  bool otlp = false;
  CLI::App app{"rad-bench-trace: throughput with spans on and off"};
  app.add_option("--stories", stories)->check(CLI::Range(1, 1000000));
  app.add_option("--story-spans", story_spans,
                 "trace.story_spans_per_run of the tracing cluster (default: its default)")
      ->check(CLI::Range(0L, 100000000L));
  app.add_flag("--otlp", otlp, "Export the spans to a receiver in this process");
  rad::bench::BenchOptions bench;
  rad::bench::add_bench_options(app, bench);
  CLI11_PARSE(app, argc, argv);

  httplib::Server receiver;
  std::atomic<long> posts{0}, bytes{0};
  std::thread serving;
  std::map<std::string, std::string> on_env{{"RAD_TRACE_SPANS", "true"}};
  if (story_spans >= 0) on_env["RAD_TRACE_STORY_SPANS_PER_RUN"] = std::to_string(story_spans);
  if (otlp) {
    receiver.Post("/v1/traces", [&](const httplib::Request& req, httplib::Response& res) {
      ++posts;
      bytes += static_cast<long>(req.body.size());
      res.set_content("{}", "application/json");
    });
    int port = receiver.bind_to_any_port("127.0.0.1");
    serving = std::thread{[&] { receiver.listen_after_bind(); }};
    on_env["RAD_TRACE_OTLP_ENDPOINT"] = "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
  }

  rad::bench::BenchCluster tracing, quiet;
  if (!tracing.start(bench.policy, true, on_env) ||
      !quiet.start(bench.policy, true, {{"RAD_TRACE_SPANS", "false"}}))
    return 1;
  if (rad::bench::compare_on_off(tracing, quiet, "spans", stories, bench.repeat) < 0) return 1;
  if (otlp) {
    receiver.stop();
    serving.join();
    std::printf("OTLP receiver: %ld posts, %ld bytes\n", posts.load(), bytes.load());
  }
  return 0;
}
