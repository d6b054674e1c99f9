// Issue [5] end to end: a 3-node cluster scraped by a real Prometheus with the
// scrape config users deploy (deploy/prometheus.yml, targets and interval
// replaced), and each node's /metrics text held to promtool's lint.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/prometheus.h"
#include "tests/support/rad_metrics.h"
#include "tests/support/runs.h"

namespace rad::test {
namespace {

const std::vector<std::string> kNodes = {"coord", "w1", "w2"};

class PrometheusScrapeTest : public RunsFixture {
 protected:
  void SetUp() override {
    if (auto why = prometheus_missing()) GTEST_SKIP() << *why;
  }

  void start_cluster() {
    coordinator();
    start({"w1"});
    start({"w2"});
    expect_log("coord", kThreeUp);
  }

  std::vector<ScrapeTarget> targets() {
    std::vector<ScrapeTarget> all;
    for (const auto& name : kNodes)
      all.push_back({"127.0.0.1:" + std::to_string(ports(name).metrics), name});
    return all;
  }

  std::string metrics_text(const std::string& name) {
    httplib::Client http{"127.0.0.1", ports(name).metrics};
    http.set_connection_timeout(2s);
    auto res = http.Get("/metrics");
    EXPECT_TRUE(res && res->status == 200) << name << ": no /metrics";
    return res ? res->body : "";
  }

  // `stories` mock stories in one wave; every tenth fails its first attempt,
  // so the run has retries (attempts > stories) and failed attempts to count.
  v1::RunStatus run_plan(int stories) {
    std::string list;
    for (int i = 0; i < stories; ++i)
      list += std::string{i ? "," : ""} + R"({"id":"s)" + std::to_string(i) + R"(",)" +
              (i % 10 == 0 ? R"("backoff":{"initialMs":20},"mock":{"failFirstAttempts":1}})"
                           : R"("mock":{"durationMs":5}})");
    auto run_id = submit(R"({"name":"scraped","waves":[{"name":"w","stories":[)" + list + "]}]}");
    auto status = await_end(run_id, 60s);
    expect_all_terminal(status);
    return status;
  }

  static uint32_t attempts(const v1::RunStatus& status) {
    uint32_t n = 0;
    for (const auto& wave : status.waves())
      for (const auto& story : wave.stories()) n += story.attempts();
    return n;
  }

  // label value -> sample value, of an instant vector grouped by `label`.
  static std::map<std::string, double> by_label(const nlohmann::json& result,
                                                const std::string& label) {
    std::map<std::string, double> values;
    for (const auto& sample : result)
      values[sample["metric"].value(label, "")] = std::stod(sample["value"][1].get<std::string>());
    return values;
  }
};

TEST_F(PrometheusScrapeTest, PrometheusCountsEveryAttemptOfARunOnceAcrossTheCluster) {
  start_cluster();
  PrometheusOptions options;
  options.targets = targets();
  PrometheusServer prometheus{options};

  auto status = run_plan(50);
  auto total = attempts(status);
  ASSERT_EQ(total, 55u) << "50 stories, 5 of them failing once: " << status.ShortDebugString();

  const std::map<std::string, double> all_up = {{"coord", 1}, {"w1", 1}, {"w2", 1}};
  auto up = prometheus.await(R"(up{job="rad"})", [&](const nlohmann::json& result) {
    return by_label(result, "node") == all_up;
  });
  ASSERT_TRUE(up) << up.result.dump() << "\n" << prometheus.log();

  // Counted on the node where each attempt ended; summed, exactly once each.
  auto counted = prometheus.await("sum(agent_tasks_total)", [&](const nlohmann::json& result) {
    return single_value(result) == static_cast<double>(total);
  });
  EXPECT_TRUE(counted) << "expected " << total << " attempts, Prometheus has "
                       << counted.result.dump();

  const std::map<std::string, double> outcomes = {{"succeeded", 50}, {"failed", 5}};
  auto by_status = prometheus.await(
      // Nodes export every status from the start at 0: only those that happened.
      "sum by (status) (agent_tasks_total) > 0",
      [&](const nlohmann::json& result) { return by_label(result, "status") == outcomes; });
  EXPECT_TRUE(by_status) << by_status.result.dump();

  // The target's node label sits beside the metric's own labels, not over them.
  const std::map<std::string, double> roles = {{"coordinator", 1}, {"worker", 2}};
  auto build = prometheus.await(
      "count by (role) (rad_build_info == 1)",
      [&](const nlohmann::json& result) { return by_label(result, "role") == roles; });
  EXPECT_TRUE(build) << build.result.dump();
}

TEST_F(PrometheusScrapeTest, EveryDashboardQueryShowsDataOfTheCluster) {
  start_cluster();
  PrometheusOptions options;
  options.targets = targets();
  PrometheusServer prometheus{options};
  run_plan(10);

  std::ifstream file{std::string{RAD_SOURCE_DIR} + "/deploy/grafana/dashboards/rad.json"};
  auto dashboard = nlohmann::json::parse(file);
  int queries = 0;
  for (const auto& panel : dashboard.at("panels")) {
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      // What Grafana would send: its variables replaced by a range and "all nodes".
      auto expr = std::regex_replace(target.at("expr").get<std::string>(),
                                     std::regex{R"(\$__rate_interval)"}, "30s");
      expr = std::regex_replace(expr, std::regex{R"(\$node)"}, ".*");
      auto shown = prometheus.await(
          expr, [](const nlohmann::json& result) { return result.is_array() && !result.empty(); });
      EXPECT_TRUE(shown) << panel["title"] << ": " << expr << " -> " << shown.result.dump();
      ++queries;
    }
  }
  EXPECT_GT(queries, 10);
}

TEST_F(PrometheusScrapeTest, EveryNodesMetricsPassPromtool) {
  start_cluster();
  run_plan(10);  // so that the labelled series and histograms have samples
  for (const auto& name : kNodes) {
    auto [ok, output] = promtool_check_metrics(metrics_text(name));
    EXPECT_TRUE(ok) << name << ":\n" << output;
  }
}

TEST_F(PrometheusScrapeTest, TheClusterServesEveryMetricTheDashboardMayQuery) {
  start_cluster();
  run_plan(10);
  std::set<std::string> served;  // the families: "# TYPE name type" lines
  for (const auto& name : kNodes) {
    std::istringstream text{metrics_text(name)};
    for (std::string line; std::getline(text, line);)
      if (line.rfind("# TYPE ", 0) == 0) served.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  for (const auto& metric : kRadMetrics)
    EXPECT_TRUE(served.count(metric)) << metric << " is served by no node";
}

}  // namespace
}  // namespace rad::test
