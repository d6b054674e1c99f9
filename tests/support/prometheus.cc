#include "tests/support/prometheus.h"

#include <httplib.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rad::test {
namespace {

// The absolute path of `name` on PATH (Process::start does not search it).
std::optional<std::string> which(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs{path ? path : "/usr/bin:/bin"};
  for (std::string dir; std::getline(dirs, dir, ':');) {
    auto candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::chrono::milliseconds left(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                               std::chrono::steady_clock::now());
}

// The pause between two polls: a wait for Prometheus's exit, which also
// drains its output so that it never blocks on a full pipe.
constexpr auto kPollPause = 100ms;

}  // namespace

std::optional<std::string> prometheus_missing() {
  for (const char* name : {"prometheus", "promtool"})
    if (!which(name))
      return std::string{name} +
             " is not on PATH: run scripts/install-deps.sh (Debian package `prometheus`)";
  return std::nullopt;
}

std::string scrape_config(const std::string& deploy_yaml, const PrometheusOptions& options) {
  YAML::Node root = YAML::Load(deploy_yaml);
  root["global"]["scrape_interval"] = options.scrape_interval;
  root["global"]["evaluation_interval"] = options.scrape_interval;
  YAML::Node configs = root["scrape_configs"];
  for (std::size_t i = 0; i < configs.size(); ++i) {
    YAML::Node job = configs[i];
    if (job["job_name"].as<std::string>() != "rad") continue;
    if (job["scrape_interval"]) job["scrape_interval"] = options.scrape_interval;
    // The deploy file's shape: one static config per target, with its node label.
    YAML::Node statics{YAML::NodeType::Sequence};
    for (const auto& target : options.targets) {
      YAML::Node entry;
      entry["targets"].push_back(target.address);
      entry["labels"]["node"] = target.node;
      statics.push_back(entry);
    }
    job["static_configs"] = statics;
    YAML::Emitter out;
    out << root;
    return out.c_str();
  }
  throw std::runtime_error("deploy/prometheus.yml has no scrape config with job_name: rad");
}

PrometheusServer::PrometheusServer(const PrometheusOptions& options,
                                   std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto binary = which("prometheus");
  if (!binary) throw std::runtime_error(*prometheus_missing());
  port_ = options.port ? options.port : free_port();
  config_ =
      scrape_config(read_file(std::string{RAD_SOURCE_DIR} + "/deploy/prometheus.yml"), options);
  ProcessOptions o;
  o.argv = {*binary, "--config.file=" + dir_.file("prometheus.yml", config_),
            "--storage.tsdb.path=" + dir_.path() + "/data", "--web.listen-address=" + address()};
  o.cwd = dir_.path();
  process_ = Process::start(o);

  httplib::Client http{"127.0.0.1", port_};
  http.set_connection_timeout(1s);
  http.set_read_timeout(5s);
  for (;;) {
    if (auto res = http.Get("/-/ready"); res && res->status == 200) return;
    if (auto code = process_->wait_exit(std::min<std::chrono::milliseconds>(
            kPollPause, std::max(left(deadline), std::chrono::milliseconds{1}))))
      throw std::runtime_error("prometheus exited with " + std::to_string(*code) +
                               " before it was ready:\n" + process_->err());
    if (left(deadline).count() <= 0)
      throw std::runtime_error("prometheus not ready on " + address() + " within " +
                               std::to_string(timeout.count()) + " ms:\n" + log());
  }
}

PrometheusServer::~PrometheusServer() = default;

nlohmann::json PrometheusServer::query(const std::string& promql) {
  httplib::Client http{"127.0.0.1", port_};
  http.set_connection_timeout(1s);
  http.set_read_timeout(10s);
  auto res = http.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!res)
    return {{"status", "error"}, {"error", "no answer: " + httplib::to_string(res.error())}};
  auto body = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return {{"status", "error"},
            {"error", "HTTP " + std::to_string(res->status) + ", not JSON: " + res->body}};
  return body;
}

Awaited PrometheusServer::await(const std::string& promql,
                                const std::function<bool(const nlohmann::json&)>& predicate,
                                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Awaited a;
  for (;;) {
    auto answer = query(promql);
    a.result = answer.value("status", "") == "success" ? answer["data"]["result"] : answer;
    if (answer.value("status", "") == "success" && predicate(a.result)) {
      a.ok = true;
      return a;
    }
    if (left(deadline).count() <= 0) return a;
    if (process_->wait_exit(std::min(kPollPause, left(deadline)))) {
      a.result = {{"status", "error"}, {"error", "prometheus exited:\n" + process_->err()}};
      return a;
    }
  }
}

std::string PrometheusServer::log() {
  process_->wait_exit(1ms);  // collects what it printed meanwhile
  return process_->err();
}

std::optional<double> single_value(const nlohmann::json& result) {
  if (!result.is_array() || result.size() != 1) return std::nullopt;
  return std::stod(result[0]["value"][1].get<std::string>());
}

std::pair<bool, std::string> promtool_check_metrics(const std::string& text) {
  auto binary = which("promtool");
  if (!binary) return {false, *prometheus_missing()};
  TempDir dir;
  ProcessOptions o;
  o.argv = {*binary, "check", "metrics"};
  o.stdin_path = dir.file("metrics.txt", text);
  auto r = run(o);
  // Exit 0: no problems; 3: lint problems (listed on stderr); 1: unparsable.
  return {r.exit_code == 0, r.out + r.err};
}

}  // namespace rad::test
