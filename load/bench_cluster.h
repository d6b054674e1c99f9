// What the cluster benchmarks share: a 3-node loopback cluster of real
// rad-node processes (coordinator with role all, two workers), and the bare
// CAF baseline they are compared with in the same run.
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/local_cluster.h"

namespace rad::bench {

// The options every cluster benchmark takes.
struct BenchOptions {
  int repeat = 3;                  // rounds; medians are reported
  std::string policy = "sharing";  // CAF scheduler of the nodes and of bare CAF
};
void add_bench_options(CLI::App& app, BenchOptions& options);

double median(std::vector<double> values);

// Actors per second that one process of bare CAF spawns, each answering once.
double bare_caf_spawn_rate(int actors, const std::string& scheduler_policy);

// Bytes of resident memory this process grows by per idle actor of bare CAF:
// `actors` event_based actors spawned and started, each waiting for a
// message that never comes (then they are stopped). `while_idle`, when given,
// is called once they all started, before they are stopped.
double bare_caf_idle_actor_bytes(int actors, const std::string& scheduler_policy,
                                 const std::function<void()>& while_idle = nullptr);

// Resident memory of process `pid`, this process's by default; 0 once it is gone.
double resident_bytes(pid_t pid = 0);

// The highest resident memory of process `pid` from construction to
// destruction, sampled every 5 ms on a thread of its own.
class PeakResident {
 public:
  explicit PeakResident(pid_t pid);
  ~PeakResident();
  PeakResident(const PeakResident&) = delete;
  PeakResident& operator=(const PeakResident&) = delete;
  double peak() const { return peak_.load(); }

 private:
  std::atomic<double> peak_{0};
  std::atomic<bool> stop_{false};
  std::thread sampler_;
};

// The 3-node loopback cluster of the benchmarks (a LocalCluster): the
// coordinator "coord" with role all, workers "w1" and "w2", node `i` in that
// order; agents bounded by nothing but memory (--max-agents 1000000).
class BenchCluster {
 public:
  // Starts the nodes and waits until all three agree on the view; otherwise
  // prints why and the nodes' output. Without `metrics`, nothing is counted
  // (--metrics-port 0).
  // `env`: more environment of every node (RAD_TRACE_SPANS=false, say).
  bool start(const std::string& scheduler_policy, bool metrics = true,
             const std::map<std::string, std::string>& env = {});

  uint16_t coordinator_port() const { return cluster_->ports(name(0)).cluster; }
  uint16_t coordinator_http_port() const { return cluster_->ports(name(0)).http; }
  // Where each node (coordinator first) serves /metrics; empty without metrics.
  std::vector<uint16_t> metrics_ports() const;
  // Every sample of node `i`'s /metrics (coordinator first); empty if unreadable.
  std::map<std::string, double> metrics(size_t i) const;
  // The coordinator's data dir: its checkpoint store is in DIR/checkpoint.
  std::string coordinator_data_dir() const { return cluster_->data_dir(name(0)); }

  // kill -9 of worker `i` (1 or 2); returns when the signal was sent. Every
  // line the coordinator logs from then on is there for await_coordinator_line.
  std::chrono::system_clock::time_point kill_worker(size_t i);

  // kill -9 of the coordinator, then the same coordinator (ports, data dir)
  // started again; returns once it says it is ready, or false.
  bool kill_and_restart_coordinator();

  // Worker `i` (1 or 2) stopped with `signo` (SIGTERM: it drains and leaves;
  // SIGKILL: it dies), then the same worker (name, ports, data dir) started
  // again, once it is back in a view of 3 members up. A worker that does not
  // exit within kStopWait of SIGTERM is killed (stuck, said on stderr).
  enum class Restart { clean, stuck, failed };
  static constexpr auto kStopWait = std::chrono::seconds{30};
  Restart restart_worker(size_t i, int signo);

  // Node `i`'s process (coordinator first).
  pid_t pid(size_t i) const { return cluster_->process(name(i)).pid(); }

  // Waits until the coordinator logs a line matching `pattern`, after the
  // line the last wait found (after kill_worker, or since the coordinator
  // started); the line, or none after `timeout`.
  std::optional<std::string> await_coordinator_line(const std::string& pattern,
                                                    std::chrono::seconds timeout);

  // Prints every line of the nodes' output that reported a member suspect or
  // down: busy is not dead. Returns their number.
  long false_alarms();

  // Prints the nodes' output so far (for a failed run).
  void dump();

 private:
  const std::string& name(size_t i) const { return cluster_->nodes().at(i); }

  std::unique_ptr<LocalCluster> cluster_;
};

}  // namespace rad::bench
