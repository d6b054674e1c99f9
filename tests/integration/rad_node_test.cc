// rad-node as users start it: real processes, real signals, real ports.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/process.h"

namespace rad::test {
namespace {

const std::regex kReady{"ready: node"};

ProcessOptions node(const TempDir& dir, std::vector<std::string> args = {},
                    std::map<std::string, std::string> env = {}) {
  ProcessOptions o;
  o.argv = {
      binary("rad-node"),          "--cluster-port", std::to_string(free_port()), "--http-port",
      std::to_string(free_port()), "--metrics-port", std::to_string(free_port())};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = std::move(env);
  o.cwd = dir.path();
  return o;
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST(RadNode, HelpAndVersionExitZero) {
  auto help = run({{binary("rad-node"), "--help"}});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag :
       {"--role", "--node-name", "--bind", "--cluster-port", "--join", "--http-port",
        "--metrics-port", "--data-dir", "--config", "--log-format"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  auto version = run({{binary("rad-node"), "--version"}});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("rad-node 0.", 0), 0u) << version.out;
}

TEST(RadNode, UnknownConfigKeyNamesKeyAndExitsTwo) {
  TempDir dir;
  auto bad = dir.file("bad.json", R"({"role": "all", "clustr_port": 7070})");
  auto r = run(node(dir, {"--config", bad}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("clustr_port"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
}

TEST(RadNode, BadValuesFromEveryLayerExitTwoWithOneLine) {
  TempDir dir;
  auto range = dir.file("range.json", R"({"httpPort": 0})");
  struct Case {
    ProcessOptions options;
    std::string expected;
  } cases[] = {
      {node(dir, {"--config", range}), "key 'http_port': 0 is out of range"},
      {node(dir, {"--config", dir.path() + "/missing.json"}), "missing.json: cannot open"},
      {node(dir, {}, {{"RAD_MAX_AGENTS", "lots"}}), "RAD_MAX_AGENTS: expected an unsigned"},
      {node(dir, {"--log-format", "xml"}), "flag --log-format: 'xml' is not one of"},
      {node(dir, {"--no-such-flag"}), "--no-such-flag"},
  };
  for (auto& c : cases) {
    auto r = run(c.options);
    EXPECT_EQ(r.exit_code, 2) << c.expected;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
  }
}

TEST(RadNode, NoArgumentsStartsAllInOneAndStopsOnSigterm) {
  TempDir dir;
  // No arguments at all: the embedded default on the default ports, if free here.
  ProcessOptions o;
  o.argv = {binary("rad-node")};
  o.cwd = dir.path();
  auto p = Process::start(o);
  auto ready = p->wait_for_line(kReady);
  if (!ready && p->err().find("in use") != std::string::npos)
    GTEST_SKIP() << "default port 7070 is taken on this machine: " << p->err();
  ASSERT_TRUE(ready) << p->out() << p->err();
  EXPECT_NE(ready->find("(all) on 127.0.0.1:7070"), std::string::npos) << *ready;
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/rad-data/LOCK"));
  p->signal(SIGTERM);
  EXPECT_EQ(p->wait_exit(), 0) << p->err();
  EXPECT_NE(p->out().find("SIGTERM received"), std::string::npos);
  EXPECT_NE(p->out().find("\"msg\":\"stopped\""), std::string::npos) << p->out();
}

TEST(RadNode, StopsCleanlyOnSigint) {
  TempDir dir;
  auto p = Process::start(node(dir));
  ASSERT_TRUE(p->wait_for_line(kReady)) << p->err();
  p->signal(SIGINT);
  EXPECT_EQ(p->wait_exit(), 0) << p->err();
  EXPECT_NE(p->out().find("SIGINT received"), std::string::npos);
}

TEST(RadNode, LogsAreJsonLinesWhenStdoutIsNotATerminal) {
  TempDir dir;
  auto p = Process::start(node(dir, {"--node-name", "json-node"}));
  ASSERT_TRUE(p->wait_for_line(kReady)) << p->err();
  p->signal(SIGTERM);
  ASSERT_EQ(p->wait_exit(), 0);
  std::istringstream out{p->out()};
  int records = 0;
  for (std::string line; std::getline(out, line); ++records) {
    auto record = nlohmann::json::parse(line);  // throws, failing the test, if not JSON
    EXPECT_EQ(record["node"], "json-node");
    for (const char* key : {"ts", "level", "component", "msg"})
      EXPECT_TRUE(record.contains(key)) << line;
  }
  EXPECT_GE(records, 4);
}

TEST(RadNode, TextLogsWhenAsked) {
  TempDir dir;
  auto p = Process::start(node(dir, {"--log-format", "text", "--node-name", "t1"}));
  ASSERT_TRUE(p->wait_for_line(std::regex{R"( info  \[t1/node\] ready: node t1)"})) << p->out();
}

TEST(RadNode, SecretsNeverReachTheLogs) {
  TempDir dir;
  auto p = Process::start(
      node(dir, {"--log-level", "trace"},
           {{"RAD_API_KEY", "sk-ant-very-secret"}, {"RAD_CLUSTER_SECRET", "hunter2"}}));
  ASSERT_TRUE(p->wait_for_line(kReady)) << p->err();
  p->signal(SIGTERM);
  ASSERT_EQ(p->wait_exit(), 0);
  EXPECT_NE(p->out().find("api_key"), std::string::npos) << "the config is logged, redacted";
  for (const auto* s : {"sk-ant-very-secret", "hunter2"}) {
    EXPECT_EQ(p->out().find(s), std::string::npos);
    EXPECT_EQ(p->err().find(s), std::string::npos);
  }
}

TEST(RadNode, SecondNodeOnTheSameDataDirIsRefused) {
  TempDir dir;
  auto first = Process::start(node(dir, {"--data-dir", "shared"}));
  ASSERT_TRUE(first->wait_for_line(kReady)) << first->err();
  auto second = run(node(dir, {"--data-dir", "shared"}));
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_NE(second.err.find("data dir shared is in use by pid " + std::to_string(first->pid())),
            std::string::npos)
      << second.err;
  // kill -9 leaves the LOCK file behind; it must not keep the next node out.
  first->signal(SIGKILL);
  ASSERT_EQ(first->wait_exit(), 128 + SIGKILL);
  auto third = Process::start(node(dir, {"--data-dir", "shared"}));
  EXPECT_TRUE(third->wait_for_line(kReady)) << third->err();
}

TEST(RadNode, ADamagedCheckpointStoreIsRefusedAtStartSayingWhatToDo) {
  TempDir dir;
  auto first = Process::start(node(dir, {"--data-dir", "d"}));
  ASSERT_TRUE(first->wait_for_line(kReady)) << first->err();
  first->signal(SIGTERM);
  ASSERT_EQ(first->wait_exit(), 0);
  // The file that names the store's manifest, as a torn disk write leaves it.
  std::ofstream{dir.path() + "/d/checkpoint/CURRENT", std::ios::trunc} << "MANIFEST-0000\x01\n";
  auto second = run(node(dir, {"--data-dir", "d"}));
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_EQ(lines(second.err), 1u) << second.err;
  EXPECT_NE(second.err.find("checkpoint store d/checkpoint is damaged"), std::string::npos)
      << second.err;
  EXPECT_NE(second.err.find("radctl checkpoint verify tells what, or restore a backup"),
            std::string::npos)
      << second.err;
  auto verify = run({{binary("radctl"), "checkpoint", "--data-dir", dir.path() + "/d", "verify"}});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.err.find("is damaged"), std::string::npos) << verify.out << verify.err;
}

TEST(RadNode, MetricsPortInUseExitsTwoAndZeroTurnsMetricsOff) {
  TempDir dir;
  auto metrics_port = std::to_string(free_port());
  auto with_metrics = [&](const char* data_dir, const std::string& port) {
    ProcessOptions o;
    o.argv = {binary("rad-node"),
              "--cluster-port",
              std::to_string(free_port()),
              "--http-port",
              std::to_string(free_port()),
              "--metrics-port",
              port,
              "--data-dir",
              data_dir};
    o.cwd = dir.path();
    return o;
  };
  auto first = Process::start(with_metrics("a", metrics_port));
  ASSERT_TRUE(first->wait_for_line(kReady)) << first->err();
  auto second = run(with_metrics("b", metrics_port));
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_EQ(second.err,
            "rad-node: metrics port 127.0.0.1:" + metrics_port +
                " is in use; stop the process using it or pick another --metrics-port\n");
  auto off = Process::start(with_metrics("c", "0"));
  EXPECT_TRUE(off->wait_for_line(kReady)) << off->err();
}

TEST(RadNode, ClusterPortInUseExitsTwo) {
  TempDir dir;
  auto port = std::to_string(free_port());
  auto at_port = [&](const char* data_dir) {
    ProcessOptions o;
    o.argv = {binary("rad-node"),
              "--cluster-port",
              port,
              "--data-dir",
              data_dir,
              "--http-port",
              std::to_string(free_port()),
              "--metrics-port",
              std::to_string(free_port())};
    o.cwd = dir.path();
    return o;
  };
  auto first = Process::start(at_port("a"));
  ASSERT_TRUE(first->wait_for_line(kReady)) << first->err();
  auto second = run(at_port("b"));
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_EQ(second.err,
            "rad-node: cluster port 127.0.0.1:" + port +
                " is in use; stop the process using it or pick another --cluster-port\n");
}

TEST(RadNode, BindAddressNotOfThisHostExitsTwo) {
  TempDir dir;
  auto r = run(node(dir, {"--bind", "192.0.2.1"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("192.0.2.1 is not an address of this host"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace rad::test
