#include "tools/load_command.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/api_client.h"
#include "client/prometheus_text.h"
#include "client/submit_client.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/run.pb.h"
#include "runtime/cli.h"
#include "runtime/error.h"

namespace rad {
namespace {

using Clock = std::chrono::steady_clock;
using google::protobuf::util::TimeUtil;

int fail(const caf::error& err) { return report_failure("radctl", err); }

struct NodeUse {
  std::string name, metrics_address;
  double rss_before = -1, peak_rss = 0, peak_agents = 0;
  // RSS in the sample with the most live agents: the two are read together,
  // not each at its own peak (rad-bench-agents measures the same way).
  double rss_at_peak_agents = 0;
};

// Samples every node's /metrics until stopped: peak RSS and live agents.
class NodeSampler {
 public:
  NodeSampler(std::vector<NodeUse> nodes, std::chrono::milliseconds interval)
      : nodes_(std::move(nodes)), interval_(interval) {
    sample_all();  // the baseline, before the run
    for (auto& n : nodes_) n.rss_before = n.peak_rss;
    thread_ = std::thread{[this] {
      while (!stop_) {
        std::this_thread::sleep_for(interval_);  // the sampling pace
        sample_all();
      }
    }};
  }
  std::vector<NodeUse> stop() {
    stop_ = true;
    thread_.join();
    sample_all();
    return nodes_;
  }

 private:
  void sample_all() {
    for (auto& n : nodes_) {
      auto text = api_request("GET", "http://" + n.metrics_address, "/metrics");
      if (!text) continue;
      auto samples = prometheus_samples(*text);
      double rss = samples["process_resident_memory_bytes"], agents = samples["active_agents"];
      n.peak_rss = std::max(n.peak_rss, rss);
      if (agents > n.peak_agents) {
        n.peak_agents = agents;
        n.rss_at_peak_agents = rss;
      }
    }
  }
  std::vector<NodeUse> nodes_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

double seconds_between(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
  return static_cast<double>(TimeUtil::DurationToMicroseconds(b - a)) / 1e6;
}

nlohmann::json percentiles(std::vector<double> seconds) {
  if (seconds.empty()) return nullptr;
  std::sort(seconds.begin(), seconds.end());
  auto at = [&](double q) {
    return seconds[std::min(seconds.size() - 1,
                            static_cast<size_t>(q * (seconds.size() - 1) + 0.5))];
  };
  return {{"p50_ms", at(0.50) * 1e3},
          {"p95_ms", at(0.95) * 1e3},
          {"p99_ms", at(0.99) * 1e3},
          {"max_ms", seconds.back() * 1e3}};
}

caf::expected<std::vector<NodeUse>> nodes_of(const std::string& api) {
  v1::MembershipView view;
  if (auto err = api_get(api, "/v1/nodes", view)) return err;
  std::vector<NodeUse> nodes;
  for (const auto& m : view.members())
    if (m.state() == v1::MEMBER_STATE_UP && !m.node().metrics_address().empty())
      nodes.push_back({m.node().name(), m.node().metrics_address()});
  return nodes;
}

// Every numeric leaf of a report, by its path ("latency.submit_to_running.p99_ms").
void leaves(const nlohmann::json& j, const std::string& path, std::map<std::string, double>& out) {
  if (j.is_number()) {
    out[path] = j.get<double>();
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      leaves(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
  } else if (j.is_array()) {
    for (const auto& e : j)
      if (e.is_object() && e.contains("name"))
        leaves(e, path + "[" + e["name"].get<std::string>() + "]", out);
  }
}

int compare(const nlohmann::json& now, const std::string& old_path) {
  std::ifstream in{old_path};
  auto old = nlohmann::json::parse(in, nullptr, false);
  if (!in || old.is_discarded())
    return fail(
        make_error(Errc::invalid_input, "cannot read the report " + old_path + " to compare with"));
  std::map<std::string, double> a, b;
  leaves(old, "", a);
  leaves(now, "", b);
  std::cout << "compared with " << old_path << ":\n";
  for (const auto& [key, value] : b) {
    auto it = a.find(key);
    if (it == a.end() || key.rfind("shape.", 0) == 0) continue;
    double change = it->second != 0 ? 100.0 * (value - it->second) / it->second : 0;
    std::printf("  %-45s %14.2f -> %14.2f  (%+.1f%%)\n", key.c_str(), it->second, value, change);
  }
  return 0;
}

}  // namespace

int load_command(const LoadOptions& o) {
  auto nodes = nodes_of(o.api);
  if (!nodes) return fail(nodes.error());
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(make_plan(o.shape), &body);

  NodeSampler sampler{*nodes, o.sample_interval};
  auto submitted = Clock::now();
  auto answer = submit_plan(o.api, body);
  if (!answer) {
    (void)sampler.stop();
    return fail(answer.error());
  }
  auto run_id = answer->run_id;
  std::cerr << "load: run " << run_id << " of " << o.shape.stories << " stories\n";
  v1::RunStatus status;
  while (Clock::now() - submitted < o.timeout) {
    if (auto err = api_get(o.api, "/v1/runs/" + run_id + "?stories=false", status)) {
      (void)sampler.stop();
      return fail(err);
    }
    if (status.has_finished_at()) break;
    std::this_thread::sleep_for(o.sample_interval);  // the poll's pace
  }
  double client_seconds = std::chrono::duration<double>(Clock::now() - submitted).count();
  auto used = sampler.stop();
  if (!status.has_finished_at()) {
    std::cerr << "load: run " << run_id << " did not end within the timeout\n";
    return 1;
  }
  if (auto err = api_get(o.api, "/v1/runs/" + run_id, status)) return fail(err);

  std::vector<double> to_running, to_checkpointed;
  for (const auto& w : status.waves())
    for (const auto& s : w.stories()) {
      if (!s.has_started_at()) continue;  // never placed (a dependency failed)
      to_running.push_back(seconds_between(status.started_at(), s.started_at()));
      if (s.has_finished_at())
        to_checkpointed.push_back(seconds_between(s.started_at(), s.finished_at()));
    }
  double run_seconds = seconds_between(status.started_at(), status.finished_at());
  const auto& c = status.counts();
  nlohmann::json report;
  report["run_id"] = run_id;
  report["state"] = v1::RunState_Name(status.state());
  report["shape"] = {{"stories", o.shape.stories},
                     {"waves", o.shape.waves},
                     {"dependency_density", o.shape.dependency_density},
                     {"fan_out", o.shape.fan_out},
                     {"duration_ms", o.shape.duration_ms},
                     {"distribution", v1::MockDriver::Distribution_Name(o.shape.distribution)},
                     {"failure_rate", o.shape.failure_rate},
                     {"seed", o.shape.seed}};
  report["stories"] = {
      {"succeeded", c.succeeded()}, {"dead", c.dead()}, {"cancelled", c.cancelled()}};
  report["throughput"] = {{"stories_per_second", run_seconds > 0 ? c.total() / run_seconds : 0},
                          {"end_to_end_per_second", c.total() / client_seconds}};
  report["seconds"] = {{"run", run_seconds}, {"end_to_end", client_seconds}};
  report["latency"] = {{"submitted_to_running", percentiles(to_running)},
                       {"running_to_checkpointed", percentiles(to_checkpointed)}};
  report["nodes"] = nlohmann::json::array();
  for (const auto& n : used) {
    double per_agent =
        n.peak_agents > 0 ? (n.rss_at_peak_agents - n.rss_before) / n.peak_agents : 0;
    report["nodes"].push_back({{"name", n.name},
                               {"peak_rss_bytes", n.peak_rss},
                               {"peak_live_agents", n.peak_agents},
                               {"bytes_per_live_agent", per_agent}});
  }
  if (!o.report_path.empty()) {
    std::ofstream out{o.report_path};
    out << report.dump(2) << "\n";
    if (!out)
      return fail(make_error(Errc::io_error, "cannot write the report to " + o.report_path));
  }
  auto p99 = report["latency"]["running_to_checkpointed"];
  std::printf(
      "load: %u stories %s in %.2f s: %.0f stories/s (%.0f/s end to end); running to "
      "checkpointed p50 %.1f ms, p99 %.1f ms\n",
      c.total(), v1::RunState_Name(status.state()).c_str(), run_seconds,
      report["throughput"]["stories_per_second"].get<double>(), c.total() / client_seconds,
      p99.is_null() ? 0.0 : p99["p50_ms"].get<double>(),
      p99.is_null() ? 0.0 : p99["p99_ms"].get<double>());
  if (!o.compare_path.empty())
    if (int code = compare(report, o.compare_path)) return code;
  return status.state() == v1::RUN_STATE_SUCCEEDED ? 0 : 1;
}

}  // namespace rad
