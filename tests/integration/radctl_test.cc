#include <gtest/gtest.h>

#include "harness/process.h"

namespace rad::test {
namespace {

std::string fixture(const std::string& name) { return std::string{RAD_FIXTURES} + "/" + name; }

TEST(Radctl, HelpVersionAndUsageErrors) {
  EXPECT_EQ(run({{binary("radctl"), "--help"}}).exit_code, 0);
  auto version = run({{binary("radctl"), "--version"}});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("radctl 0.", 0), 0u);
  auto none = run({{binary("radctl")}});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("see radctl --help"), std::string::npos) << none.err;
  EXPECT_EQ(run({{binary("radctl"), "ping", "no-port"}}).exit_code, 2);
}

TEST(Radctl, ValidateReadsJsonAndYamlPlans) {
  for (const char* name : {"plan.json", "plan.yaml"}) {
    auto r = run({{binary("radctl"), "validate", fixture(name)}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "plan 'demo' is valid: 2 waves, 3 stories\n");
  }
}

TEST(Radctl, ValidateOfABadPlanExitsTwoNamingTheKey) {
  TempDir dir;
  auto plan = dir.file("p.json", R"({"waves":[{"stories":[{"id":"a","mock":{"durationMS":1}}]}]})");
  auto r = run({{binary("radctl"), "validate", plan}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "radctl: " + plan + ": unknown key 'waves[0].stories[0].mock.durationMS'\n");
}

TEST(Radctl, ValidateListsEveryProblemOfAPlanAndExitsTwo) {
  TempDir dir;
  auto plan = dir.file("p.json", R"({"name":"p","waves":[{"name":"w","stories":[
    {"id":"a","dependsOn":["b"],"mock":{}},{"id":"b","dependsOn":["a"],"mock":{}},
    {"id":"c","dependsOn":["zz"],"mock":{}}]}]})");
  auto r = run({{binary("radctl"), "validate", plan}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "radctl: " + plan +
                       ": plan 'p' has 2 problems:\n"
                       "  waves[0].stories[2].dependsOn[0]: unknown story 'zz'\n"
                       "  waves[0].stories[0].dependsOn: dependency cycle: a -> b -> a\n");
}

}  // namespace
}  // namespace rad::test
