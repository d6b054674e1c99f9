// The cluster a chaos scenario runs on: real rad-node processes on loopback
// (or, given a NetnsLab, each in a network namespace of its own), a coordinator (role all: it runs
// agents too) and workers, each with its own ports and data dir under one work dir, chaos.enabled
// on. The runner owns the processes: it signals them and starts them again on the same ports and
// data dir. Every process's output is kept and written to WORK_DIR/NAME.log.
//
//   LocalCluster cluster{{rad_node, work_dir, {"coord", "w1", "w2"}, scenario.cluster()}};
//   if (auto err = cluster.start(30s)) ...
//   cluster.signal("w1", SIGKILL);
//   cluster.restart("w1");
#pragma once

#include <caf/error.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rad/v1/chaos.pb.h"
#include "rad/v1/cluster.pb.h"

namespace rad {

class Process;
class NetnsLab;

struct LocalClusterOptions {
  std::string rad_node;            // the binary
  std::string work_dir;            // data dirs and logs
  std::vector<std::string> nodes;  // the coordinator first, then the workers
  v1::ChaosCluster cluster;        // membership timing, drain and adopt windows
  bool real_agents = false;        // agents.use_real: exec stories run for real
  // Each node in a namespace of this lab, on its address there; the caller
  // must have joined the lab's hub (NetnsLab::join_hub) to reach them.
  NetnsLab* netns = nullptr;
};

class LocalCluster {
 public:
  explicit LocalCluster(LocalClusterOptions options);
  // Kills what still runs and writes the logs.
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // Starts every node and waits until the coordinator's view has them all up.
  caf::error start(std::chrono::milliseconds timeout);

  const std::vector<std::string>& nodes() const { return options_.nodes; }
  const std::string& coordinator() const { return options_.nodes.front(); }
  // http://127.0.0.1:PORT: the coordinator's API, a node's HTTP, a node's /metrics.
  std::string api() const { return http(coordinator()); }
  std::string http(const std::string& node) const;
  std::string metrics(const std::string& node) const;

  // Whether the node's current process has not exited (reaps it if it has).
  bool running(const std::string& node);
  int pid(const std::string& node) const;
  void signal(const std::string& node, int signo);
  // Its exit code (128 + signal when killed); none before `timeout`.
  std::optional<int> wait_exit(const std::string& node, std::chrono::milliseconds timeout);
  // Starts the node again on its ports and data dir (its last process must
  // have exited). Does not wait for it.
  caf::error restart(const std::string& node);
  // What every process of the node printed so far, oldest first.
  std::string output(const std::string& node) const;

  // The coordinator's view now; an error while it does not answer.
  caf::expected<v1::MembershipView> view() const;

  // SIGTERM to every running node (workers first), SIGKILL to whatever has
  // not exited by `timeout`.
  void stop(std::chrono::milliseconds timeout);

 private:
  struct Node {
    uint16_t cluster_port = 0, http_port = 0, metrics_port = 0;
    std::string address = "127.0.0.1";
    std::vector<std::unique_ptr<Process>> processes;  // the last one is current
  };
  caf::error start_once(std::chrono::milliseconds timeout);
  caf::error launch(const std::string& name);
  void write_logs();

  LocalClusterOptions options_;
  std::map<std::string, Node> nodes_;
};

}  // namespace rad
