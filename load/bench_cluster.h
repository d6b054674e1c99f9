// What the cluster benchmarks share: a 3-node loopback cluster of real
// rad-node processes (coordinator with role all, two workers), and the bare
// CAF baseline they are compared with in the same run.
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/process.h"

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
// message that never comes (then they are stopped).
double bare_caf_idle_actor_bytes(int actors, const std::string& scheduler_policy);

// Resident memory of process `pid`, this process's by default; 0 once it is gone.
double resident_bytes(pid_t pid = 0);

class BenchCluster {
 public:
  ~BenchCluster();

  // Starts the nodes and waits until all three agree on the view; otherwise
  // prints why and the nodes' output. Without `metrics`, nothing is counted
  // (--metrics-port 0).
  // `env`: more environment of every node (RAD_TRACE_SPANS=false, say).
  bool start(const std::string& scheduler_policy, bool metrics = true,
             const std::map<std::string, std::string>& env = {});

  uint16_t coordinator_port() const { return coord_port_; }
  uint16_t coordinator_http_port() const { return coord_http_port_; }
  // Where each node (coordinator first) serves /metrics; empty without metrics.
  const std::vector<uint16_t>& metrics_ports() const { return metrics_ports_; }
  // Every sample of node `i`'s /metrics (coordinator first); empty if unreadable.
  std::map<std::string, double> metrics(size_t i) const;
  // The coordinator's data dir: its checkpoint store is in DIR/checkpoint.
  std::string coordinator_data_dir() const { return dir_.path() + "/coord"; }

  // kill -9 of worker `i` (1 or 2); returns when the signal was sent. The
  // nodes' output is no longer skipped: every line logged after the kill is
  // there for await_coordinator_line.
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
  pid_t pid(size_t i) const { return nodes_.at(i)->pid(); }

  // Waits until the coordinator logs a line matching `pattern`; the line, or
  // none after `timeout`.
  std::optional<std::string> await_coordinator_line(const std::string& pattern,
                                                    std::chrono::seconds timeout);

  // Stops reading the nodes' output and prints every line that reported a
  // member suspect or down: busy is not dead. Returns their number.
  long false_alarms();

  // Prints the nodes' output so far (for a failed run).
  void dump();

 private:
  void start_draining();
  void stop_draining();

  TempDir dir_;
  uint16_t coord_port_ = free_port();
  uint16_t coord_http_port_ = free_port();
  std::vector<uint16_t> metrics_ports_;
  std::vector<std::unique_ptr<Process>> nodes_;
  std::vector<ProcessOptions> node_options_;  // how each was started
  // Reads the nodes' output while the benchmark runs: a full pipe would
  // block a node on its next log line.
  std::atomic<bool> draining_{false};
  std::thread drain_;
};

}  // namespace rad::bench
