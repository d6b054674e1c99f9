// How long a coordinator takes to resume a large run after kill -9.
//
//   build/bin/rad-bench-resume [--stories 100000] [--repeat 3]
//
// A 3-node loopback cluster runs a plan of N long mock stories (one wave):
// once every story is placed (and so checkpointed as scheduled), the
// coordinator (role all: a third of the agents die with it) is killed with
// SIGKILL and started again on the same data dir. Timed from the restart:
//   rebuilt  the API shows the run with every story placed: the store read,
//            the run rebuilt from its transitions;
//   resumed  every story is adopted from the worker that still runs it, or
//            placed again (the coordinator logs "adoption over").
// For scale, in the same run: how long the first placing of the same plan
// took after its submission.
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client/api_client.h"
#include "client/plan_shape.h"
#include "client/submit_client.h"
#include "load/bench_cluster.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"
#include "runtime/error.h"

namespace {

using Clock = std::chrono::steady_clock;

// One wave of stories that run for an hour: they are all placed when the coordinator dies.
std::string plan_json(int stories) {
  rad::PlanShape shape;
  shape.name = "resume";
  shape.stories = stories;
  shape.duration_ms = 3600000;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(rad::make_plan(shape), &out);
  return out;
}

// Polls until every story of the run is placed; seconds it took, or -1.
double await_placed(const std::string& api, const std::string& run_id, int stories,
                    Clock::time_point since) {
  auto deadline = since + std::chrono::minutes{5};
  rad::v1::RunStatus status;
  while (Clock::now() < deadline) {
    if (!rad::api_get(api, "/v1/runs/" + run_id + "?stories=false", status) &&
        status.counts().scheduled() + status.counts().running() == static_cast<uint32_t>(stories))
      return std::chrono::duration<double>(Clock::now() - since).count();
    std::this_thread::sleep_for(std::chrono::milliseconds{10});  // the poll's pace
  }
  std::fprintf(stderr, "run %s never had all %d stories placed: %s\n", run_id.c_str(), stories,
               status.ShortDebugString().c_str());
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  int stories = 100000;
  CLI::App app{"rad-bench-resume: a large run resumed after kill -9 of the coordinator"};
  app.add_option("--stories", stories)->check(CLI::Range(1, 1000000));
  rad::bench::BenchOptions bench;
  rad::bench::add_bench_options(app, bench);
  CLI11_PARSE(app, argc, argv);

  std::vector<double> first, resumed;
  for (int round = 0; round < bench.repeat; ++round) {
    rad::bench::BenchCluster cluster;
    if (!cluster.start(bench.policy)) return 1;
    auto api = "http://127.0.0.1:" + std::to_string(cluster.coordinator_http_port());
    auto submitted = Clock::now();
    auto answer = rad::submit_plan(api, plan_json(stories));
    if (!answer) {
      std::fprintf(stderr, "%s\n", rad::error_message(answer.error()).c_str());
      return 1;
    }
    auto run_id = answer->run_id;
    double placed = await_placed(api, run_id, stories, submitted);
    if (placed < 0) return 1;
    auto restarted = Clock::now();
    if (!cluster.kill_and_restart_coordinator()) {
      cluster.dump();
      return 1;
    }
    double rebuilt = await_placed(api, run_id, stories, restarted);
    auto adopted = cluster.await_coordinator_line("adoption over", std::chrono::seconds{60});
    double again = std::chrono::duration<double>(Clock::now() - restarted).count();
    if (rebuilt < 0 || !adopted) {
      cluster.dump();
      return 1;
    }
    first.push_back(placed);
    resumed.push_back(again);
    std::printf(
        "round %d: %d stories placed %.2f s after submission; after kill -9 and restart, "
        "rebuilt in %.2f s, resumed in %.2f s\n",
        round + 1, stories, placed, rebuilt, again);
  }
  std::printf("median of %d: resumed in %.2f s (first placing: %.2f s); floor: 2 s\n", bench.repeat,
              rad::bench::median(resumed), rad::bench::median(first));
  return rad::bench::median(resumed) < 2.0 ? 0 : 1;
}
