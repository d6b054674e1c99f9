// How long a cluster takes to report a lost worker down on every member.
//
//   build/bin/rad-bench-detection [--trials 10] [--heartbeat-interval-ms 100 --heartbeat-timeout-ms
//   600]
//
// Each trial starts a coordinator and two workers on loopback, fails worker w2
// (kill -9, or SIGSTOP: a hung node whose socket stays open, idle and with
// every core saturated 4x by busy loops), and times from the signal until both
// the coordinator and w1 have logged "member w2 is now down". Then a soak with
// every core saturated 4x: each member reported suspect or down is a false
// alarm. Prints p50 and max per failure kind; exits 1 if a max is 1 s or more
// or any alarm was false.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "harness/local_cluster.h"
#include "runtime/error.h"

namespace {

using namespace rad;
using Clock = std::chrono::steady_clock;

struct Options {
  int trials = 10;
  int interval_ms = 100;
  int timeout_ms = 600;
  int busy_seconds = 5;
};

// A coordinator and workers w1 and w2 with the heartbeat timing of `o`, all
// three agreeing on the view; null (and why, on stderr) when it did not form.
std::unique_ptr<LocalCluster> three_nodes(const Options& o) {
  LocalClusterOptions c;
  c.nodes = {{"coord", "coordinator"}, {"w1"}, {"w2"}};
  c.env = {{"RAD_CLUSTER_HEARTBEAT_INTERVAL_MS", std::to_string(o.interval_ms)},
           {"RAD_CLUSTER_HEARTBEAT_TIMEOUT_MS", std::to_string(o.timeout_ms)}};
  auto cluster = std::make_unique<LocalCluster>(std::move(c));
  if (auto err = cluster->start(10s)) {
    std::fprintf(stderr, "%s\n", error_message(err).c_str());
    return nullptr;
  }
  return cluster;
}

// Busy loops that saturate every core 4 times over, while they live.
std::vector<std::unique_ptr<Process>> saturate() {
  std::vector<std::unique_ptr<Process>> hogs;
  for (unsigned i = 0; i < 4 * std::thread::hardware_concurrency(); ++i)
    hogs.push_back(Process::start({{"/bin/sh", "-c", "while :; do :; done"}}));
  return hogs;
}

// Milliseconds from failing w2 until every other member reports it down; -1 on failure.
double trial(const Options& o, int signo, bool loaded) {
  auto cluster = three_nodes(o);
  if (!cluster) return -1;
  std::regex down{"member w2 is now down"};
  auto hogs = loaded ? saturate() : std::vector<std::unique_ptr<Process>>{};
  auto failed_at = Clock::now();
  cluster->signal("w2", signo);
  Clock::time_point seen{};
  for (const char* witness : {"coord", "w1"}) {
    if (!cluster->process(witness).wait_for_line(down, 10s)) return -1;
    seen = std::max(seen, Clock::now());
  }
  if (signo == SIGSTOP) cluster->signal("w2", SIGCONT);
  return std::chrono::duration<double, std::milli>(seen - failed_at).count();
}

// Suspect or down records while every core is saturated by busy loops but
// no node has failed: each one is a false alarm.
int false_alarms(const Options& o) {
  auto cluster = three_nodes(o);
  if (!cluster) return -1;
  auto& coord = cluster->process("coord");
  coord.skip_output();  // what it logged while the cluster formed
  auto hogs = saturate();
  // A soak window, not a synchronisation: alarms may come at any moment of it.
  auto alarm = coord.wait_for_line(std::regex{"is now (suspect|down)"},
                                   std::chrono::seconds{o.busy_seconds});
  int alarms = alarm ? 1 : 0;
  while (alarm && (alarm = coord.wait_for_line(std::regex{"is now (suspect|down)"}, 0ms))) ++alarms;
  return alarms;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"rad-bench-detection: time from a worker's failure to 'down' on every member"};
  app.add_option("--trials", o.trials)->check(CLI::Range(1, 1000));
  app.add_option("--heartbeat-interval-ms", o.interval_ms)->check(CLI::Range(10, 60000));
  app.add_option("--heartbeat-timeout-ms", o.timeout_ms)->check(CLI::Range(20, 600000));
  app.add_option("--busy-seconds", o.busy_seconds,
                 "Soak with every core busy, counting false alarms")
      ->check(CLI::Range(0, 3600));
  CLI11_PARSE(app, argc, argv);

  bool within = true;
  std::printf("heartbeat interval %d ms, timeout %d ms, %d trials each\n", o.interval_ms,
              o.timeout_ms, o.trials);
  struct Kind {
    int signo;
    bool loaded;
    const char* name;
  };
  for (auto [signo, loaded, kind] :
       {Kind{SIGKILL, false, "kill -9"}, Kind{SIGSTOP, false, "SIGSTOP"},
        Kind{SIGSTOP, true, "SIGSTOP, every core 4x busy"}}) {
    std::vector<double> ms;
    for (int i = 0; i < o.trials; ++i) {
      double t = trial(o, signo, loaded);
      if (t < 0) {
        std::fprintf(stderr, "%s trial %d: the cluster did not form or never reported w2 down\n",
                     kind, i);
        return 1;
      }
      ms.push_back(t);
    }
    std::sort(ms.begin(), ms.end());
    double p50 = ms[ms.size() / 2], max = ms.back();
    std::printf("%-28s detection on every member: p50 %7.1f ms, max %7.1f ms\n", kind, p50, max);
    within = within && (loaded || max < 1000.0);  // the floor is for an idle cluster
  }
  int alarms = o.busy_seconds > 0 ? false_alarms(o) : 0;
  if (o.busy_seconds > 0)
    std::printf(
        "false alarms (suspect or down) in %d s with %u busy loops on %u cores: %d (%.1f per "
        "hour)\n",
        o.busy_seconds, 4 * std::thread::hardware_concurrency(),
        std::thread::hardware_concurrency(), alarms, alarms * 3600.0 / o.busy_seconds);
  return within && alarms == 0 ? 0 : 1;
}
