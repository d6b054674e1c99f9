// A cluster of real rad-node processes on this machine, the one launcher of
// the integration tests, `radctl chaos run` and the benchmarks. Each node has
// ports of its own, its data dir WORK_DIR/NAME (WORK_DIR is its working
// directory), its environment, flags, address and command prefix. Nodes start,
// are signalled, and start again on the same ports and data dir; the output of
// every process a node ran is kept, and written to LOG_DIR/NAME.log.
//
//   LocalClusterOptions o;
//   o.nodes = {{"coord", "all"}, {"w1"}, {"w2"}};
//   LocalCluster cluster{o};
//   if (auto err = cluster.start(30s)) ...   // every node's view: all up
//   cluster.signal("w1", SIGKILL);
//   cluster.wait_exit("w1", 10s);
//   cluster.restart("w1");                   // same ports, same data dir
//   cluster.stop(30s);                       // SIGTERM, then SIGKILL
#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/process.h"
#include "rad/v1/cluster.pb.h"

namespace rad {

// One node of a LocalCluster: who it is and how it runs.
struct LocalNodeOptions {
  std::string name;
  // rad-node's --role: "all", "coordinator" or "worker". A worker joins the
  // cluster port of the cluster's first node (--join).
  std::string role = "worker";
  // Environment of its process, over LocalClusterOptions::env (and over this
  // process's own environment, which every node inherits).
  std::map<std::string, std::string> env = {};
  // More rad-node flags, after LocalClusterOptions::flags (a later flag wins).
  std::vector<std::string> flags = {};
  // The address it binds (--bind) and is reached on.
  std::string host = "127.0.0.1";
  // A command prefix its process runs under (`ip netns exec NS`, say).
  std::vector<std::string> launcher = {};
};

struct LocalClusterOptions {
  // What start() starts, the first node first: the coordinator (role "all" or
  // "coordinator"). Default: none; add() or start(node) add more.
  std::vector<LocalNodeOptions> nodes = {};
  // The binary. Default: build/bin/rad-node.
  std::string rad_node = binary("rad-node");
  // Holds each node's data dir, NAME, and is its working directory.
  // Default "": a fresh directory under /tmp, removed with the cluster.
  std::string work_dir = {};
  // Where the destructor writes each node's output (write_logs). Default "":
  // nowhere.
  std::string log_dir = {};
  // Environment and rad-node flags of every node.
  std::map<std::string, std::string> env = {};
  std::vector<std::string> flags = {};
  // Each node serves /metrics on a port of its own; false: no node does
  // (--metrics-port 0), and nothing is counted. Default: true.
  bool metrics = true;
  // SIGKILL to every node when the thread that started it ends (see
  // ProcessOptions::die_with_parent): a cluster that radctl started must not
  // outlive radctl. Only when one thread starts every node. Default: false.
  bool die_with_parent = false;
};

class LocalCluster {
 public:
  struct Ports {
    uint16_t cluster = 0, http = 0, metrics = 0;  // metrics 0: none
  };

  explicit LocalCluster(LocalClusterOptions options);
  // Kills what still runs, then writes the logs (LocalClusterOptions::log_dir).
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // Adds a node, its ports chosen now; nothing starts. A node known already
  // takes the new options (on its next start) and keeps its ports.
  void add(LocalNodeOptions node);

  // Starts every node and waits until each one's view has them all up. A port
  // found free that another process took before the node bound it: every node
  // starts again on new ports (3 attempts in all).
  caf::error start(std::chrono::milliseconds timeout);

  // Starts one node (added, or its options replaced, first), and does not wait
  // for it. A node that ran before starts again on its ports and data dir;
  // its last process must have exited.
  caf::error start_node(LocalNodeOptions node);
  caf::error restart(const std::string& name);

  // Until every node's view (GET /v1/nodes on its HTTP port) has them all up.
  caf::error await_up(std::chrono::milliseconds timeout);

  // The node names, in the order they were added (the coordinator first).
  const std::vector<std::string>& nodes() const { return order_; }
  const std::string& coordinator() const { return order_.front(); }
  const Ports& ports(const std::string& node) const { return at(node).ports; }
  const std::string& work_dir() const { return work_dir_; }
  std::string data_dir(const std::string& node) const { return work_dir_ + "/" + node; }
  // http://HOST:PORT: the coordinator's API, a node's HTTP, a node's /metrics.
  std::string api() const { return http(coordinator()); }
  std::string http(const std::string& node) const;
  std::string metrics(const std::string& node) const;

  // The node's current (last started) process: its output, lines awaited.
  Process& process(const std::string& node) const;
  // Whether the node's current process has not exited (reaps it if it has).
  bool running(const std::string& node);
  int pid(const std::string& node) const { return static_cast<int>(process(node).pid()); }
  void signal(const std::string& node, int signo) { process(node).signal(signo); }
  // Its exit code (128 + signal when killed); none before `timeout`.
  std::optional<int> wait_exit(const std::string& node, std::chrono::milliseconds timeout) {
    return process(node).wait_exit(timeout);
  }
  // What every process of the node printed so far (stdout, then stderr, of
  // each), oldest first.
  std::string output(const std::string& node) const;
  // Writes each node's output to DIR/NAME.log.
  void write_logs(const std::string& dir) const;

  // The coordinator's view now; an error while it does not answer.
  caf::expected<v1::MembershipView> view() const { return view_of(coordinator()); }
  caf::expected<v1::MembershipView> view_of(const std::string& node) const;

  // SIGTERM to every running node (workers first: the coordinator then sees
  // them leave rather than vanish), SIGKILL to whatever has not exited by
  // `timeout`.
  void stop(std::chrono::milliseconds timeout);
  // SIGKILL to every running node; returns once they are gone.
  void kill();

 private:
  struct Node {
    LocalNodeOptions options;
    Ports ports;
    std::vector<std::unique_ptr<Process>> processes;  // the last one is current
  };
  const Node& at(const std::string& node) const;
  Ports free_ports() const;
  caf::error start_once(std::chrono::milliseconds timeout);
  caf::error launch(Node& node);

  LocalClusterOptions options_;
  std::unique_ptr<TempDir> own_dir_;  // when no work dir was given
  std::string work_dir_;
  std::vector<std::string> order_;
  std::map<std::string, Node> nodes_;
};

}  // namespace rad
