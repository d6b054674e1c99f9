// deploy/: the Prometheus config and the Grafana provisioning and dashboard
// are valid, agree with each other, and the dashboard's PromQL names only the
// metrics rad exports (issue [5]), so a renamed metric breaks a test, not a
// dashboard nobody looks at.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/support/prometheus.h"
#include "tests/support/rad_metrics.h"

namespace rad::test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsSupersetOf;

// A series the dashboard may query: a rad metric, a histogram's series, or
// Prometheus's own `up` per target.
bool known_metric(const std::string& name) {
  if (name == "up" || kRadMetrics.count(name)) return true;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    auto n = std::string{suffix}.size();
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0 &&
        kRadHistograms.count(name.substr(0, name.size() - n)))
      return true;
  }
  return false;
}

std::string source(const std::string& path) {
  std::ifstream in{std::string{RAD_SOURCE_DIR} + "/" + path};
  EXPECT_TRUE(in) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The metric names a PromQL expression reads: what is left once strings, label
// matchers, ranges and grouping clauses are gone, minus functions (a name
// followed by "("), keywords and numbers.
std::set<std::string> metric_names(std::string expr) {
  for (const char* drop :
       {R"("(\\.|[^"\\])*")", R"('(\\.|[^'\\])*')", R"(\{[^}]*\})", R"(\[[^\]]*\])",
        R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"})
    expr = std::regex_replace(expr, std::regex{drop}, " ");
  static const std::set<std::string> keywords = {
      "by", "without", "on",   "ignoring", "group_left", "group_right", "and",
      "or", "unless",  "bool", "offset",   "inf",        "nan"};
  std::set<std::string> names;
  std::regex token{R"(([0-9][0-9.eE+-]*)|([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?)"};
  for (std::sregex_iterator it{expr.begin(), expr.end(), token}, end; it != end; ++it) {
    const auto& m = *it;
    if (m[1].matched || m[3].matched) continue;  // a number, or a function
    if (!keywords.count(m[2].str())) names.insert(m[2].str());
  }
  return names;
}

// Every panel of the dashboard, also those inside collapsed rows.
std::vector<nlohmann::json> panels(const nlohmann::json& dashboard) {
  std::vector<nlohmann::json> all;
  for (const auto& p : dashboard.at("panels")) {
    all.push_back(p);
    for (const auto& inner : p.value("panels", nlohmann::json::array())) all.push_back(inner);
  }
  return all;
}

nlohmann::json dashboard() {
  return nlohmann::json::parse(source("deploy/grafana/dashboards/rad.json"));
}

TEST(DeployTest, MetricNamesOfPromqlSkipFunctionsLabelsAndRanges) {
  EXPECT_THAT(metric_names(R"(histogram_quantile(0.99, sum by (le) )"
                           R"((rate(x_bucket{node=~"$node",a="b{c}"}[$__rate_interval]))))"),
              ElementsAre("x_bucket"));
  EXPECT_THAT(metric_names("max by (node) (a_fds) / max by (node) (b_fds) * 1000"),
              ElementsAre("a_fds", "b_fds"));
  EXPECT_THAT(metric_names(R"(up{job="rad"} == 1 and on (node) c)"), ElementsAre("c", "up"));
}

TEST(DeployTest, DashboardQueriesNameOnlyExportedMetrics) {
  auto dash = dashboard();
  int queries = 0;
  for (const auto& panel : panels(dash)) {
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      auto expr = target.at("expr").get<std::string>();
      auto names = metric_names(expr);
      EXPECT_FALSE(names.empty()) << panel["title"] << ": no metric in " << expr;
      for (const auto& name : names)
        EXPECT_TRUE(known_metric(name)) << panel["title"] << ": " << name << " in " << expr;
      ++queries;
    }
  }
  EXPECT_GT(queries, 0);
}

TEST(DeployTest, DashboardHasThePanelsOfIssue5) {
  auto dash = dashboard();
  std::set<std::string> used;
  std::string heatmap_exprs, latency_exprs;
  for (const auto& panel : panels(dash))
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      auto expr = target.at("expr").get<std::string>();
      for (const auto& name : metric_names(expr)) used.insert(name);
      if (panel.at("type") == "heatmap") heatmap_exprs += expr;
      if (expr.find("rad_checkpoint_write_seconds_bucket") != std::string::npos)
        latency_exprs += expr + "\n";
    }
  EXPECT_THAT(used, IsSupersetOf({"rad_runs_active", "rad_runs_total", "rad_stories",
                                  "agent_tasks_total", "active_agents", "up", "rad_cluster_members",
                                  "rad_heartbeat_age_seconds", "resource_utilization_percent"}));
  EXPECT_NE(heatmap_exprs.find("agent_task_duration_seconds_bucket"), std::string::npos)
      << "the task duration heatmap";
  EXPECT_NE(latency_exprs.find("histogram_quantile(0.5,"), std::string::npos) << latency_exprs;
  EXPECT_NE(latency_exprs.find("histogram_quantile(0.99,"), std::string::npos) << latency_exprs;
}

TEST(DeployTest, DashboardIsGrafana9SchemaWithUniquePanelIds) {
  auto dash = dashboard();
  EXPECT_GE(dash.at("schemaVersion").get<int>(), 36) << "Grafana 9.0 writes 36";
  EXPECT_FALSE(dash.at("uid").get<std::string>().empty());
  std::set<int> ids;
  for (const auto& panel : panels(dash)) {
    EXPECT_TRUE(ids.insert(panel.at("id").get<int>()).second) << "id " << panel["id"] << " twice";
    const auto& grid = panel.at("gridPos");
    EXPECT_LE(grid.at("x").get<int>() + grid.at("w").get<int>(), 24) << panel["title"];
  }
}

TEST(DeployTest, DashboardUsesTheProvisionedDatasource) {
  auto provisioned = YAML::Load(source("deploy/grafana/provisioning/datasources/prometheus.yml"));
  ASSERT_EQ(provisioned["datasources"].size(), 1u);
  auto uid = provisioned["datasources"][0]["uid"].as<std::string>();
  EXPECT_EQ(provisioned["datasources"][0]["type"].as<std::string>(), "prometheus");
  for (const auto& panel : panels(dashboard())) {
    if (panel.at("type") == "row") continue;
    EXPECT_EQ(panel.at("datasource").at("uid"), uid) << panel["title"];
    for (const auto& target : panel.value("targets", nlohmann::json::array()))
      EXPECT_EQ(target.at("datasource").at("uid"), uid) << panel["title"];
  }
  auto providers = YAML::Load(source("deploy/grafana/provisioning/dashboards/rad.yml"));
  ASSERT_EQ(providers["providers"].size(), 1u);
  EXPECT_EQ(providers["providers"][0]["type"].as<std::string>(), "file");
  EXPECT_FALSE(providers["providers"][0]["options"]["path"].as<std::string>().empty());
}

TEST(DeployTest, PrometheusConfigScrapesThreeNodesEveryFiveSecondsByName) {
  auto config = YAML::Load(source("deploy/prometheus.yml"));
  EXPECT_EQ(config["global"]["scrape_interval"].as<std::string>(), "5s");
  ASSERT_EQ(config["scrape_configs"].size(), 1u);
  auto job = config["scrape_configs"][0];
  EXPECT_EQ(job["job_name"].as<std::string>(), "rad");
  std::set<std::string> targets, nodes;
  for (const auto& entry : job["static_configs"]) {
    for (const auto& t : entry["targets"]) targets.insert(t.as<std::string>());
    nodes.insert(entry["labels"]["node"].as<std::string>());
    for (const auto& label : entry["labels"])
      EXPECT_FALSE(kRadMetricLabels.count(label.first.as<std::string>()))
          << "target label " << label.first << " would rename a metric's own label";
  }
  EXPECT_EQ(targets.size(), 3u);
  EXPECT_EQ(nodes, (std::set<std::string>{"coord", "w1", "w2"}));
}

TEST(DeployTest, ScrapeConfigForTestsReplacesTargetsAndIntervalOnly) {
  auto deploy = source("deploy/prometheus.yml");
  auto config =
      YAML::Load(scrape_config(deploy, {{{"127.0.0.1:1", "a"}, {"127.0.0.1:2", "b"}}, 0, "1s"}));
  EXPECT_EQ(config["global"]["scrape_interval"].as<std::string>(), "1s");
  auto job = config["scrape_configs"][0];
  EXPECT_EQ(job["metrics_path"].as<std::string>(),
            YAML::Load(deploy)["scrape_configs"][0]["metrics_path"].as<std::string>());
  ASSERT_EQ(job["static_configs"].size(), 2u);
  EXPECT_EQ(job["static_configs"][0]["targets"][0].as<std::string>(), "127.0.0.1:1");
  EXPECT_EQ(job["static_configs"][0]["labels"]["node"].as<std::string>(), "a");
  EXPECT_EQ(job["static_configs"][1]["targets"][0].as<std::string>(), "127.0.0.1:2");
  EXPECT_EQ(job["static_configs"][1]["labels"]["node"].as<std::string>(), "b");
}

}  // namespace
}  // namespace rad::test

namespace rad::test {
namespace {

// docs/METRICS.md lists every metric a node serves, each in a table row of its own.
TEST(MetricsDoc, ListsEveryMetric) {
  auto doc = source("docs/METRICS.md");
  for (const auto& name : kRadMetrics)
    EXPECT_NE(doc.find("| `" + name + "` |"), std::string::npos) << name << " is not documented";
}

}  // namespace
}  // namespace rad::test
