// A real Prometheus server for tests: it scrapes the given targets with the
// scrape config of deploy/prometheus.yml (so the tests exercise the file users
// deploy), on 127.0.0.1 and a free port, with its storage in a temp dir, and
// answers PromQL through its HTTP API. Also promtool's lint of metrics text.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/process.h"

namespace rad::test {

// Why the Prometheus tests cannot run here (a binary missing from PATH), or
// nullopt. Tests skip with it: scripts/install-deps.sh installs both.
std::optional<std::string> prometheus_missing();

struct ScrapeTarget {
  std::string address;  // host:port serving /metrics
  std::string node;     // its `node` label, as deploy/prometheus.yml gives each target
};

struct PrometheusOptions {
  std::vector<ScrapeTarget> targets;
  // Where Prometheus listens; 0 picks a free port. Set it to scrape Prometheus itself.
  uint16_t port = 0;
  // Replaces the deploy file's 5 s, so that tests see new samples quickly.
  std::string scrape_interval = "1s";
};

// The outcome of PrometheusServer::await: whether the predicate held before
// the deadline, and the last result it was shown (for failure messages).
struct Awaited {
  bool ok = false;
  nlohmann::json result;
  explicit operator bool() const { return ok; }
};

class PrometheusServer {
 public:
  // Starts Prometheus and returns once /-/ready answers 200; throws with
  // Prometheus's output when it exits or is not ready within `timeout`.
  explicit PrometheusServer(const PrometheusOptions& options,
                            std::chrono::milliseconds timeout = 30s);
  ~PrometheusServer();  // kill -9; the temp dir with config and storage goes too
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // The configuration Prometheus was started with.
  const std::string& config() const { return config_; }

  // The whole answer of /api/v1/query (status, data.resultType, data.result),
  // or a JSON object with "status": "error" and the reason when it failed.
  nlohmann::json query(const std::string& promql);

  // Queries until `predicate(data.result)` holds or `timeout` passes, pausing
  // between queries on Prometheus's exit (an event), not a sleep.
  Awaited await(const std::string& promql,
                const std::function<bool(const nlohmann::json& result)>& predicate,
                std::chrono::milliseconds timeout = 20s);

  // What Prometheus printed so far (its log goes to stderr).
  std::string log();

 private:
  TempDir dir_;
  uint16_t port_ = 0;
  std::string config_;
  std::unique_ptr<Process> process_;
};

// The value of an instant vector's only sample, or nullopt when the result has
// not exactly one sample.
std::optional<double> single_value(const nlohmann::json& result);

// `promtool check metrics` on `text` (Prometheus exposition format): true when
// it finds nothing to complain about; its output either way.
std::pair<bool, std::string> promtool_check_metrics(const std::string& text);

// The scrape config for `options`: deploy/prometheus.yml with the `rad` job's
// targets and the scrape interval replaced. Exposed for the unit test of it.
std::string scrape_config(const std::string& deploy_yaml, const PrometheusOptions& options);

}  // namespace rad::test
