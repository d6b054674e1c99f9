// Memory of a long-lived cluster: many small runs and many worker restarts
// through one 3-node loopback cluster, and each node's resident memory after
// warm-up.
//
//   build/bin/rad-bench-soak [--runs 20000] [--restarts 200] [--in-flight 4]
//                            [--sample-every 1000] [--floor-mb 1]
//
// Runs of a plan of 5 mock stories (two waves, a few ms each) are submitted to
// the coordinator's HTTP API and kept `--in-flight` at a time, so that runs
// overlap. Every runs/restarts runs, worker w2 is stopped and started again,
// SIGTERM (it drains and leaves) and kill -9 in turn, while runs go on: its
// stories may be placed again, and every run must still end SUCCEEDED. The
// coordinator (role all) and w1 live throughout; w2's figures are those of a
// process at most runs/restarts runs old. Every --sample-every runs, each
// node's RSS (/proc/PID/statm) is printed; after warm-up (the first 20% of the
// runs) the growth per 1,000 runs is fitted (least squares) per node, next to
// its RSS at warm-up end, the same run's baseline. Exits 1 when a run did not
// succeed (or was not over within 2 minutes), a restart failed, or a node's
// slope reaches --floor-mb (0: no floor).
// A w2 that does not exit after SIGTERM is killed and counted, not a failure:
// the soak is about memory.
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "client/api_client.h"
#include "client/plan_shape.h"
#include "client/submit_client.h"
#include "load/bench_cluster.h"
#include "rad/v1/run.pb.h"
#include "runtime/error.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::array<const char*, 3> kNodes{"coord", "w1", "w2"};
// A run of 5 stories of a few ms is over well within this, restarts included.
constexpr auto kRunDeadline = std::chrono::minutes{2};
constexpr size_t kRestarted = 2;  // w2
constexpr double kMB = 1024.0 * 1024.0;

struct SoakOptions {
  int runs = 20000;
  int restarts = 200;
  int in_flight = 4;
  int sample_every = 1000;
  double floor_mb = 1;
};

struct Sample {
  int runs_done = 0;
  std::array<double, kNodes.size()> rss{};  // bytes
};

std::string small_plan_json() {
  rad::PlanShape shape;
  shape.name = "soak";
  shape.stories = 5;
  shape.waves = 2;
  shape.dependency_density = 1;
  shape.duration_ms = 5;
  shape.distribution = rad::v1::MockDriver::UNIFORM;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(rad::make_plan(shape), &out);
  return out;
}

std::optional<std::string> submit(const std::string& api, const std::string& plan) {
  auto answer = rad::submit_plan(api, plan);
  if (!answer) {
    std::fprintf(stderr, "submit failed: %s\n", rad::error_message(answer.error()).c_str());
    return std::nullopt;
  }
  return answer->run_id;
}

enum class Progress { running, succeeded, failed };

Progress progress_of(const std::string& api, const std::string& run_id) {
  rad::v1::RunStatus status;
  if (auto err = rad::api_get(api, "/v1/runs/" + run_id + "?stories=false", status)) {
    std::fprintf(stderr, "status of %s failed: %s\n", run_id.c_str(),
                 rad::error_message(err).c_str());
    return Progress::failed;
  }
  if (!status.has_finished_at()) return Progress::running;
  if (status.state() == rad::v1::RUN_STATE_SUCCEEDED) return Progress::succeeded;
  std::fprintf(stderr, "run %s did not succeed: %s\n", run_id.c_str(),
               status.ShortDebugString().c_str());
  return Progress::failed;
}

Sample sample(const rad::bench::BenchCluster& cluster, int runs_done) {
  Sample s;
  s.runs_done = runs_done;
  for (size_t i = 0; i < kNodes.size(); ++i) s.rss[i] = rad::bench::resident_bytes(cluster.pid(i));
  std::printf("%8d  %9.1f  %9.1f  %9.1f\n", runs_done, s.rss[0] / kMB, s.rss[1] / kMB,
              s.rss[2] / kMB);
  std::fflush(stdout);
  return s;
}

// Least-squares slope of node `node`'s RSS, in MB per 1,000 runs.
double slope_mb_per_1000(const std::vector<Sample>& samples, size_t node) {
  double n = static_cast<double>(samples.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& s : samples) {
    double x = s.runs_done / 1000.0, y = s.rss[node] / kMB;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

// The cluster soaked: runs kept in flight until `options.runs` succeeded,
// worker restarts and samples at their marks. False when a run failed or a
// restart did.
class Soak {
 public:
  Soak(rad::bench::BenchCluster& cluster, const SoakOptions& options)
      : cluster_(cluster),
        options_(options),
        api_("http://127.0.0.1:" + std::to_string(cluster.coordinator_http_port())),
        plan_(small_plan_json()),
        restart_every_(options.restarts > 0 ? std::max(1, options.runs / options.restarts) : 0) {}

  bool run() {
    samples_.push_back(sample(cluster_, 0));
    while (done_ < options_.runs) {
      if (!top_up()) return false;
      int before = done_;
      if (!collect()) return false;
      for (int mark = before + 1; mark <= done_; ++mark)
        if (!at_mark(mark)) return false;
      if (done_ == before) std::this_thread::sleep_for(std::chrono::milliseconds{5});  // poll pace
    }
    return true;
  }

  const std::vector<Sample>& samples() const { return samples_; }
  int restarts() const { return restarts_; }
  // SIGTERMs after which w2 did not exit (it was killed then).
  int stuck() const { return stuck_; }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  struct InFlight {
    std::string run_id;
    Clock::time_point submitted;
  };

  bool top_up() {
    while (submitted_ < options_.runs && static_cast<int>(in_flight_.size()) < options_.in_flight) {
      auto id = submit(api_, plan_);
      if (!id) return false;
      in_flight_.push_back({*id, Clock::now()});
      ++submitted_;
    }
    return true;
  }

  bool collect() {
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      if (Clock::now() - it->submitted > kRunDeadline) {
        std::fprintf(stderr, "run %s is not over %lld s after its submission\n", it->run_id.c_str(),
                     static_cast<long long>(
                         std::chrono::duration_cast<std::chrono::seconds>(kRunDeadline).count()));
        return false;
      }
      switch (progress_of(api_, it->run_id)) {
        case Progress::running:
          ++it;
          break;
        case Progress::succeeded:
          it = in_flight_.erase(it);
          ++done_;
          break;
        case Progress::failed:
          return false;
      }
    }
    return true;
  }

  // Samples first: w2 is then as old at every sample.
  bool at_mark(int runs_done) {
    if (runs_done % options_.sample_every == 0) samples_.push_back(sample(cluster_, runs_done));
    if (restart_every_ == 0 || runs_done % restart_every_ != 0 || restarts_ >= options_.restarts)
      return true;
    int signo = restarts_ % 2 == 0 ? SIGTERM : SIGKILL;
    auto outcome = cluster_.restart_worker(kRestarted, signo);
    if (outcome == rad::bench::BenchCluster::Restart::failed) {
      std::fprintf(stderr, "restart %d of w2 (%s) failed\n", restarts_ + 1,
                   signo == SIGTERM ? "SIGTERM" : "kill -9");
      return false;
    }
    stuck_ += outcome == rad::bench::BenchCluster::Restart::stuck;
    ++restarts_;
    return true;
  }

  rad::bench::BenchCluster& cluster_;
  SoakOptions options_;
  std::string api_, plan_;
  int restart_every_;
  std::deque<InFlight> in_flight_;
  int submitted_ = 0, done_ = 0, restarts_ = 0, stuck_ = 0;
  std::vector<Sample> samples_;
  Clock::time_point start_ = Clock::now();
};

// Prints the slopes after warm-up against each node's RSS at warm-up end;
// false when one reaches the floor.
bool report(const std::vector<Sample>& samples, const SoakOptions& options) {
  std::vector<Sample> after;
  for (const auto& s : samples)
    if (s.runs_done >= options.runs / 5) after.push_back(s);
  if (after.size() < 2) {
    std::printf("too few samples after warm-up to fit a slope; sample more often\n");
    return options.floor_mb <= 0;
  }
  bool within = true;
  std::printf("after warm-up (run %d on), growth per 1,000 runs (floor: under %.2f MB):\n",
              after.front().runs_done, options.floor_mb);
  for (size_t i = 0; i < kNodes.size(); ++i) {
    double slope = slope_mb_per_1000(after, i), base = after.front().rss[i] / kMB;
    bool ok = options.floor_mb <= 0 || slope < options.floor_mb;
    within = within && ok;
    std::printf("  %-5s %+.3f MB (%.2f%% of its %.1f MB at warm-up end)%s\n", kNodes[i], slope,
                100 * slope / base, base, ok ? "" : "  <- at or over the floor");
  }
  return within;
}

}  // namespace

int main(int argc, char** argv) {
  SoakOptions options;
  CLI::App app{"rad-bench-soak: RSS of a 3-node cluster over many runs and worker restarts"};
  app.add_option("--runs", options.runs, "Runs of 5 mock stories")->check(CLI::Range(1, 10000000));
  app.add_option("--restarts", options.restarts, "Restarts of worker w2, evenly spread")
      ->check(CLI::Range(0, 100000));
  app.add_option("--in-flight", options.in_flight, "Runs going on at once")
      ->check(CLI::Range(1, 1000));
  app.add_option("--sample-every", options.sample_every, "Runs between RSS samples")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--floor-mb", options.floor_mb,
                 "Fails when a node grows this many MB per 1,000 runs after warm-up; 0: no floor");
  std::string policy = "sharing";
  app.add_option("--scheduler-policy", policy)->check(CLI::IsMember({"sharing", "stealing"}));
  CLI11_PARSE(app, argc, argv);

  rad::bench::BenchCluster cluster;
  if (!cluster.start(policy)) return 1;
  std::printf("%8s  %9s  %9s  %9s  (RSS, MB)\n", "runs", kNodes[0], kNodes[1], kNodes[2]);
  Soak soak{cluster, options};
  if (!soak.run()) {
    cluster.dump();
    return 1;
  }
  std::printf(
      "%d runs SUCCEEDED in %.0f s (%.1f runs/s), %d restarts of w2 (%d stuck after SIGTERM, "
      "killed)\n",
      options.runs, soak.seconds(), options.runs / soak.seconds(), soak.restarts(), soak.stuck());
  return report(soak.samples(), options) ? 0 : 1;
}
