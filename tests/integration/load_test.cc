// radctl load against a real 3-node cluster: a report of the run, the nodes'
// memory read from their /metrics, and the change against a previous report.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/runs.h"

namespace rad::test {
namespace {

class Load : public RunsFixture {
 protected:
  void SetUp() override { start_three_nodes(); }
};

TEST_F(Load, ReportsThroughputLatencyAndMemoryAndComparesWithAPreviousReport) {
  std::vector<std::string> shape{
      "load", "--stories", "300", "--waves",       "3",  "--dependency-density",
      "0.5",  "--fan-out", "2",   "--duration-ms", "300"};
  auto report_path = dir_.path() + "/first.json";
  auto args = shape;
  args.insert(args.end(), {"--json", report_path});
  auto first = radctl(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("load: 300 stories RUN_STATE_SUCCEEDED in "), std::string::npos)
      << first.out;
  std::ifstream in{report_path};
  auto report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["stories"]["succeeded"], 300);
  EXPECT_GT(report["throughput"]["stories_per_second"].get<double>(), 0);
  for (const char* span : {"submitted_to_running", "running_to_checkpointed"}) {
    const auto& l = report["latency"][span];
    EXPECT_LE(l["p50_ms"].get<double>(), l["p99_ms"].get<double>()) << span;
    EXPECT_LE(l["p99_ms"].get<double>(), l["max_ms"].get<double>()) << span;
  }
  EXPECT_GE(report["latency"]["running_to_checkpointed"]["p50_ms"].get<double>(), 300)
      << "an attempt runs its 300 ms";
  ASSERT_EQ(report["nodes"].size(), 3u);
  double agents = 0;
  for (const auto& n : report["nodes"]) {
    EXPECT_GT(n["peak_rss_bytes"].get<double>(), 1e6) << n.dump();
    agents += n["peak_live_agents"].get<double>();
  }
  // Each wave's agents run together for 300 ms: the 100 ms samples see them.
  EXPECT_GT(agents, 0) << "the workers' agents were seen running";

  args = shape;
  args.insert(args.end(), {"--compare", report_path});
  auto second = radctl(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("compared with " + report_path), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("throughput.stories_per_second"), std::string::npos) << second.out;
  auto missing = radctl({"load", "--stories", "10", "--compare", dir_.path() + "/none.json"});
  EXPECT_EQ(missing.exit_code, 2) << missing.out << missing.err;
}

}  // namespace
}  // namespace rad::test
