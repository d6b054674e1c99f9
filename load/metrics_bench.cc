// What observability costs: the end-to-end benchmark of issue [3] on two
// 3-node loopback clusters, one counting everything (and with --spans also
// recording spans, trace.spans=true) and one with metrics off (--metrics-port
// 0) and no spans, rounds alternating between them; then how long a scrape of
// each node of the counting cluster takes once it has run the stories.
//
//   build/bin/rad-bench-metrics [--stories 100000] [--repeat 3] [--scrapes 20] [--spans]
//
// Floors (issue [5]): metrics and tracing cost at most 5% of the throughput; a
// scrape of a node that has run 100,000 stories answers in under 50 ms. Exits
// 1 if a round fails. (rad-bench-trace measures spans alone, with OTLP export.)
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <map>

#include "client/api_client.h"
#include "load/bench_cluster.h"
#include "load/e2e_round.h"
#include "runtime/error.h"

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds of one GET /metrics of the node at `port`, or -1.
double scrape_ms(uint16_t port) {
  auto start = Clock::now();
  auto text = rad::api_request("GET", "http://127.0.0.1:" + std::to_string(port), "/metrics");
  if (!text) {
    std::fprintf(stderr, "scrape of :%u failed: %s\n", port,
                 rad::error_message(text.error()).c_str());
    return -1;
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int stories = 100000, scrapes = 20;
  bool spans = false;
  CLI::App app{"rad-bench-metrics: throughput with metrics on and off, and scrape latency"};
  app.add_option("--stories", stories)->check(CLI::Range(1, 1000000));
  app.add_option("--scrapes", scrapes, "Scrapes per node, after the rounds")
      ->check(CLI::Range(1, 1000));
  app.add_flag("--spans", spans, "The counting cluster also records spans");
  rad::bench::BenchOptions bench;
  rad::bench::add_bench_options(app, bench);
  CLI11_PARSE(app, argc, argv);

  rad::bench::BenchCluster counting, quiet;
  std::map<std::string, std::string> env;
  env["RAD_TRACE_SPANS"] = spans ? "true" : "false";
  if (!counting.start(bench.policy, true, env) ||
      !quiet.start(bench.policy, false, {{"RAD_TRACE_SPANS", "false"}}))
    return 1;
  if (rad::bench::compare_on_off(counting, quiet, spans ? "metrics and spans" : "metrics", stories,
                                 bench.repeat) < 0)
    return 1;
  const char* names[] = {"coordinator", "worker 1", "worker 2"};
  for (size_t n = 0; n < counting.metrics_ports().size(); ++n) {
    std::vector<double> times;
    for (int i = 0; i < scrapes; ++i) {
      double ms = scrape_ms(counting.metrics_ports()[n]);
      if (ms < 0) return 1;
      times.push_back(ms);
    }
    std::sort(times.begin(), times.end());
    std::printf("scrape of the %s after %d stories: median %.2f ms, max %.2f ms (floor: 50 ms)\n",
                names[n], stories * bench.repeat, rad::bench::median(times), times.back());
  }
  return 0;
}
