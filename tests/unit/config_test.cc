#include "runtime/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "harness/process.h"
#include "runtime/config_flags.h"
#include "runtime/error.h"

namespace rad {
namespace {

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

ConfigInputs inputs(std::string file, std::map<std::string, std::string> env,
                    v1::NodeConfig flags = {}) {
  return ConfigInputs{std::move(file), fake_env(std::move(env)), std::move(flags)};
}

std::string load_error(const ConfigInputs& in) {
  auto config = load_config(in);
  EXPECT_FALSE(config);
  if (config) return "";
  EXPECT_EQ(exit_code_for(config.error()), 2);
  return error_message(config.error());
}

TEST(Config, DefaultsAreTheDocumentedOnes) {
  auto config = load_config(inputs("", {}));
  ASSERT_TRUE(config) << error_message(config.error());
  EXPECT_EQ(config->role(), "all");
  EXPECT_EQ(config->bind(), "127.0.0.1");
  EXPECT_EQ(config->cluster_port(), 7070u);
  EXPECT_EQ(config->http_port(), 3000u);
  EXPECT_EQ(config->metrics_port(), 9090u);
  EXPECT_EQ(config->data_dir(), "./rad-data");
  EXPECT_EQ(config->agents().max_agents(), 10000u);
  EXPECT_EQ(config->agents().timeout_ms(), 300000u);
  EXPECT_FALSE(config->agents().use_real());
  EXPECT_FALSE(config->node_name().empty()) << "defaults to the host name";
}

TEST(Config, FileThenEnvironmentThenFlags) {
  TempDir dir;
  auto file = dir.file("c.json", R"({"clusterPort": 8001, "http_port": 8002, "metricsPort": 8003,
                                     "agents": {"maxAgents": 5}})");
  v1::NodeConfig flags;
  flags.set_cluster_port(9001);
  auto config =
      load_config(inputs(file, {{"RAD_CLUSTER_PORT", "7001"}, {"RAD_HTTP_PORT", "7002"}}, flags));
  ASSERT_TRUE(config) << error_message(config.error());
  EXPECT_EQ(config->cluster_port(), 9001u);  // flag beats env and file
  EXPECT_EQ(config->http_port(), 7002u);     // env beats file
  EXPECT_EQ(config->metrics_port(), 8003u);  // file beats default
  EXPECT_EQ(config->agents().max_agents(), 5u);
  EXPECT_EQ(config->agents().timeout_ms(), 300000u);  // untouched sibling keeps its default
}

TEST(Config, RadConfigNamesTheFileWhenNoFlagDoes) {
  TempDir dir;
  auto file = dir.file("c.yaml", "role: worker\njoin: [\"10.0.0.1:7070\"]\n");
  auto config = load_config(inputs("", {{"RAD_CONFIG", file}}));
  ASSERT_TRUE(config) << error_message(config.error());
  EXPECT_EQ(config->role(), "worker");
  ASSERT_EQ(config->join_size(), 1);
}

TEST(Config, OldSystemVariablesKeepTheirMeaning) {
  auto config = load_config(inputs("", {{"RAD_USE_REAL_AGENTS", "true"},
                                        {"RAD_MAX_AGENTS", "12"},
                                        {"RAD_TIMEOUT", "45000"},
                                        {"RAD_LOG_LEVEL", "debug"},
                                        {"RAD_API_KEY", "sk-test"}}));
  ASSERT_TRUE(config) << error_message(config.error());
  EXPECT_TRUE(config->agents().use_real());
  EXPECT_EQ(config->agents().max_agents(), 12u);
  EXPECT_EQ(config->agents().timeout_ms(), 45000u);
  EXPECT_EQ(config->log_level(), "debug");
  EXPECT_EQ(config->llm().api_key(), "sk-test");
}

TEST(Config, JoinListsAreReplacedNotAppended) {
  TempDir dir;
  auto file = dir.file("c.json", R"({"join": ["a:1", "b:2"]})");
  auto config = load_config(inputs(file, {{"RAD_JOIN", " c:3 ,d:4"}}));
  ASSERT_TRUE(config) << error_message(config.error());
  ASSERT_EQ(config->join_size(), 2);
  EXPECT_EQ(config->join(0), "c:3");
  EXPECT_EQ(config->join(1), "d:4");
}

TEST(Config, UnknownKeyNamesKeyAndFile) {
  TempDir dir;
  auto file = dir.file("bad.json", R"({"cluster": {"heartbeat": 5}})");
  EXPECT_EQ(load_error(inputs(file, {})),
            "config file " + file +
                ": unknown key 'cluster.heartbeat'; rad-node --config-reference lists the keys");
}

TEST(Config, WrongTypeInFileAndEnvironment) {
  TempDir dir;
  auto file = dir.file("t.json", R"({"clusterPort": "seven"})");
  EXPECT_EQ(load_error(inputs(file, {})),
            "config file " + file +
                ": key 'cluster_port' expects an unsigned 32-bit integer, got \"seven\"");
  EXPECT_EQ(load_error(inputs("", {{"RAD_MAX_AGENTS", "many"}})),
            "environment variable RAD_MAX_AGENTS: expected an unsigned 32-bit integer, got 'many'");
  EXPECT_EQ(load_error(inputs("", {{"RAD_USE_REAL_AGENTS", "perhaps"}})),
            "environment variable RAD_USE_REAL_AGENTS: expected true or false, got 'perhaps'");
}

TEST(Config, OutOfRangeNamesKeyAndBounds) {
  TempDir dir;
  auto file = dir.file("r.json", R"({"agents": {"maxAgents": 0}})");
  EXPECT_EQ(load_error(inputs(file, {})),
            "config file " + file + ": key 'agents.max_agents': 0 is out of range 1..1000000");
  EXPECT_EQ(load_error(inputs("", {{"RAD_CLUSTER_PORT", "70000"}})),
            "environment variable RAD_CLUSTER_PORT: 70000 is out of range 1..65535");
  EXPECT_EQ(load_error(inputs("", {{"RAD_TIMEOUT", "99999999999999999999999"}})),
            "environment variable RAD_TIMEOUT: expected an unsigned 64-bit integer, got "
            "'99999999999999999999999'");
}

TEST(Config, ChoicesAndFormatsAreChecked) {
  EXPECT_EQ(load_error(inputs("", {{"RAD_ROLE", "boss"}})),
            "environment variable RAD_ROLE: 'boss' is not one of all, coordinator, worker");
  EXPECT_EQ(load_error(inputs("", {{"RAD_JOIN", "localhost"}})),
            "environment variable RAD_JOIN: 'localhost' is not HOST:PORT");
}

TEST(Config, UnreadableFileIsNamed) {
  TempDir dir;
  EXPECT_EQ(load_error(inputs(dir.path() + "/none.json", {})),
            "config file " + dir.path() + "/none.json: cannot open: No such file or directory");
}

TEST(Config, FlagsAreParsedAndValidated) {
  CLI::App app;
  ConfigFlagValues values;
  add_config_flags(app, values);
  std::vector<std::string> args = {"--cluster-port", "7100",    "--join", "a:1",
                                   "--join",         "b:2,c:3", "--role", "worker"};
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  app.parse(args);
  auto flags = config_from_flags(values);
  ASSERT_TRUE(flags) << error_message(flags.error());
  EXPECT_EQ(flags->cluster_port(), 7100u);
  EXPECT_EQ(flags->join_size(), 3);
  EXPECT_EQ(flags->role(), "worker");
  ConfigFlagValues bad{{"http_port", {"0"}}};
  auto err = config_from_flags(bad);
  ASSERT_FALSE(err);
  EXPECT_EQ(error_message(err.error()), "flag --http-port: 0 is out of range 1..65535");
}

TEST(Config, SecretsAreRedacted) {
  auto config =
      load_config(inputs("", {{"RAD_API_KEY", "sk-live-123"}, {"RAD_CLUSTER_SECRET", "hunter2"}}));
  ASSERT_TRUE(config);
  auto json = redacted_json(*config);
  EXPECT_EQ(json.find("sk-live-123"), std::string::npos) << json;
  EXPECT_EQ(json.find("hunter2"), std::string::npos) << json;
  EXPECT_NE(json.find("redacted"), std::string::npos) << json;
  EXPECT_NE(json.find("\"cluster_port\":7070"), std::string::npos) << json;
}

TEST(Config, EverySettingIsDocumentedAndDocsAreCurrent) {
  for (const auto& leaf : config_leaves()) EXPECT_FALSE(leaf.options.doc().empty()) << leaf.path;
  std::ifstream in{std::string{RAD_SOURCE_DIR} + "/docs/CONFIG.md"};
  std::stringstream docs;
  docs << in.rdbuf();
  EXPECT_EQ(docs.str(), config_reference_markdown())
      << "docs/CONFIG.md is stale: run build/bin/rad-node --config-reference > docs/CONFIG.md";
}

}  // namespace
}  // namespace rad
