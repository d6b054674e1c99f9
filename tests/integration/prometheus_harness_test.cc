// The Prometheus test harness on its own, without rad: a real Prometheus made
// from deploy/prometheus.yml scrapes itself, and promtool tells good metrics
// text from bad. If these fail, the scrape tests of rad cannot be trusted.
#include <gtest/gtest.h>

#include "tests/support/prometheus.h"

namespace rad::test {
namespace {

class PrometheusHarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = prometheus_missing()) GTEST_SKIP() << *why;
  }
};

TEST_F(PrometheusHarnessTest, ScrapesItselfAsTheRadJobWithTheNodeLabel) {
  PrometheusOptions options;
  options.port = free_port();
  options.targets = {{"127.0.0.1:" + std::to_string(options.port), "self"}};
  PrometheusServer prometheus{options};

  auto up = prometheus.await(R"(up{job="rad",node="self"})", [](const nlohmann::json& result) {
    return single_value(result) == 1.0;
  });
  EXPECT_TRUE(up) << up.result.dump() << "\nconfig:\n"
                  << prometheus.config() << "\nlog:\n"
                  << prometheus.log();
}

TEST_F(PrometheusHarnessTest, UnreachableTargetIsDown) {
  // The other side of `up`: a port nothing listens on is scraped as 0, so an
  // `up == 1` in the scrape tests means the node really answered.
  PrometheusOptions options;
  options.targets = {{"127.0.0.1:" + std::to_string(free_port()), "nobody"}};
  PrometheusServer prometheus{options};
  auto down = prometheus.await(R"(up{node="nobody"})", [](const nlohmann::json& result) {
    return single_value(result) == 0.0;
  });
  EXPECT_TRUE(down) << down.result.dump() << "\n" << prometheus.log();
}

TEST_F(PrometheusHarnessTest, QueryErrorsAreReportedNotThrown) {
  PrometheusServer prometheus{PrometheusOptions{}};
  auto answer = prometheus.query("sum(");
  EXPECT_EQ(answer.value("status", ""), "error") << answer.dump();
}

TEST_F(PrometheusHarnessTest, PromtoolAcceptsCleanMetricsAndRejectsLintProblems) {
  auto [ok, output] = promtool_check_metrics(
      "# HELP rad_things_total Things done.\n# TYPE rad_things_total counter\n"
      "rad_things_total{kind=\"a\"} 3\n");
  EXPECT_TRUE(ok) << output;

  auto [bad, complaint] =
      promtool_check_metrics("# TYPE rad_things counter\nrad_things{kind=\"a\"} 3\n");
  EXPECT_FALSE(bad);
  EXPECT_NE(complaint.find("_total"), std::string::npos) << complaint;
}

TEST_F(PrometheusHarnessTest, DeployConfigPassesPromtool) {
  auto r = run({{"/usr/bin/env", "promtool", "check", "config",
                 std::string{RAD_SOURCE_DIR} + "/deploy/prometheus.yml"}});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace rad::test
