// Exec stories through the whole path, next to xargs in the same run.
//
//   build/bin/rad-bench-exec [--stories 2000] [--slots 32] [--repeat 3]
//
// A 3-node loopback cluster (coordinator with role all, two workers) with
// real agents and agents.exec_slots = --slots on each node. Each round
// submits a plan of N exec stories `true` (one wave) and follows it until it
// is over; the baseline is `xargs -P C -n 1 true` over N lines, C being the
// cluster's total slots (3 x --slots), timed in the same round. Reports the
// medians and rad's rate as a fraction of xargs' (floor: 0.8). Exits 1 unless
// every story succeeded exactly once (run summary and checkpoint store), no
// member was reported suspect or down, and the ratio met --floor.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "load/bench_cluster.h"
#include "load/e2e_round.h"
#include "load/exactly_once.h"

namespace {

std::string exec_plan(int stories, int round) {
  nlohmann::json wave = {{"name", "exec"}, {"stories", nlohmann::json::array()}};
  for (int i = 0; i < stories; ++i)
    wave["stories"].push_back({{"id", "s" + std::to_string(i)}, {"exec", {{"argv", {"true"}}}}});
  return nlohmann::json{{"name", "exec-" + std::to_string(round)}, {"waves", {wave}}}.dump();
}

// Commands per second that xargs runs, `parallel` at a time.
double xargs_rate(int commands, int parallel) {
  auto start = std::chrono::steady_clock::now();
  auto cmd =
      "seq " + std::to_string(commands) + " | xargs -P " + std::to_string(parallel) + " -n 1 true";
  if (std::system(cmd.c_str()) != 0) return -1;
  return commands / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int stories = 2000, slots = 32;
  double floor = 0.8;
  CLI::App app{"rad-bench-exec: exec stories on 3 loopback nodes vs xargs"};
  app.add_option("--stories", stories)->check(CLI::Range(1, 100000));
  app.add_option("--slots", slots, "agents.exec_slots of each node")->check(CLI::Range(1, 10000));
  app.add_option("--floor", floor, "least rad/xargs ratio that passes");
  rad::bench::BenchOptions bench;
  rad::bench::add_bench_options(app, bench);
  CLI11_PARSE(app, argc, argv);

  rad::bench::BenchCluster cluster;
  if (!cluster.start(bench.policy, true,
                     {{"RAD_USE_REAL_AGENTS", "true"}, {"RAD_EXEC_SLOTS", std::to_string(slots)}}))
    return 1;
  auto api = "http://127.0.0.1:" + std::to_string(cluster.coordinator_http_port());
  std::vector<double> rad_rates, xargs_rates;
  for (int round = 0; round < bench.repeat; ++round) {
    auto r = rad::bench::run_plan_round(api, exec_plan(stories, round), stories);
    if (r.client_rate < 0) {
      cluster.dump();
      return 1;
    }
    if (!rad::bench::stored_exactly_once(cluster.coordinator_data_dir(), r.run_id, stories))
      return 1;
    rad_rates.push_back(r.client_rate);
    xargs_rates.push_back(xargs_rate(stories, 3 * slots));
    std::printf("round %d: rad %.0f exec stories/s, xargs -P %d %.0f commands/s\n", round + 1,
                rad_rates.back(), 3 * slots, xargs_rates.back());
  }
  double r = rad::bench::median(rad_rates), x = rad::bench::median(xargs_rates);
  std::printf(
      "median of %d: rad %.0f exec stories/s, xargs %.0f commands/s, ratio %.2f (floor %.2f)\n",
      bench.repeat, r, x, r / x, floor);
  long alarms = cluster.false_alarms();
  std::printf("false alarms (suspect or down) during the run: %ld\n", alarms);
  return alarms == 0 && r / x >= floor ? 0 : 1;
}
