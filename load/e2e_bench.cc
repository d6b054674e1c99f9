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
// succeeded exactly once, by the run's summary and by the coordinator's
// checkpoint store (one terminal transition per story, SUCCEEDED), and no
// member was reported suspect or down. Each round also prints how much the
// coordinator's resident memory grew at its peak, per story (sampled every
// 5 ms from /proc). Issue [8]'s floors exit 1 too: from 100,000 stories on,
// a median end-to-end rate under 0.3x bare CAF's (--floor-ratio); from
// 1,000,000 on, a median peak of 1 KiB or more per story. Smaller runs are
// mostly start-up and are not held to them.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "client/api_client.h"
#include "load/bench_cluster.h"
#include "load/e2e_round.h"
#include "load/exactly_once.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"
#include "runtime/error.h"

int main(int argc, char** argv) {
  int stories = 100000;
  double floor_ratio = 0.3;
  CLI::App app{"rad-bench-e2e: stories through the whole path on 3 loopback nodes vs bare CAF"};
  app.add_option("--stories", stories)->check(CLI::Range(1, 1000000));
  app.add_option("--floor-ratio", floor_ratio,
                 "From 100,000 stories on, exit 1 below this ratio to bare CAF")
      ->check(CLI::Range(0.0, 10.0));
  rad::bench::BenchOptions bench;
  rad::bench::add_bench_options(app, bench);
  CLI11_PARSE(app, argc, argv);
  int repeat = bench.repeat;
  const auto& policy = bench.policy;

  rad::bench::BenchCluster cluster;
  if (!cluster.start(policy)) return 1;
  auto api = "http://127.0.0.1:" + std::to_string(cluster.coordinator_http_port());
  std::vector<double> client, server, bare, per_story;
  for (int round = 0; round < repeat; ++round) {
    auto before = rad::bench::resident_bytes(cluster.pid(0));
    std::optional<rad::bench::PeakResident> peak{cluster.pid(0)};
    auto r = rad::bench::run_e2e_round(api, stories, round);
    if (r.client_rate < 0) {
      cluster.dump();
      return 1;
    }
    if (!rad::bench::stored_exactly_once(cluster.coordinator_data_dir(), r.run_id, stories))
      return 1;
    // Sampled until the store is read: the run's end is in the peak too.
    double peak_bytes = peak->peak();
    peak.reset();
    per_story.push_back((peak_bytes - before) / stories);
    std::printf("round %d: coordinator RSS %.1f MiB before, peak %.1f MiB: %.0f bytes per story\n",
                round + 1, before / (1 << 20), peak_bytes / (1 << 20), per_story.back());
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
  std::printf("coordinator peak RSS growth per story, median: %.0f bytes\n",
              rad::bench::median(per_story));
  long alarms = cluster.false_alarms();
  std::printf("false alarms (suspect or down) during the run: %ld\n", alarms);
  bool floors_held = true;
  if (stories >= 100000 && c / b < floor_ratio) {
    std::printf("below the floor: ratio %.2f < %.2f\n", c / b, floor_ratio);
    floors_held = false;
  }
  constexpr double kMaxBytesPerStory = 1024;
  if (stories >= 1000000 && rad::bench::median(per_story) >= kMaxBytesPerStory) {
    std::printf("over the floor: %.0f bytes per story >= %.0f\n", rad::bench::median(per_story),
                kMaxBytesPerStory);
    floors_held = false;
  }
  return alarms == 0 && floors_held ? 0 : 1;
}
