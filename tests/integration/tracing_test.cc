// Spans across nodes on a 3-node cluster: what an OTLP receiver started by the
// test gets from the coordinator and the workers, and what radctl trace shows.
#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "client/prometheus_text.h"
#include "runtime/trace.h"
#include "tests/support/runs.h"

namespace rad::test {
namespace {

using nlohmann::json;

// A small OTLP/HTTP JSON collector: every span it is sent, with the name of
// the node (service.instance.id) that sent it.
class OtlpReceiver {
 public:
  struct Got {
    std::string node;
    json span;
  };

  OtlpReceiver() {
    server_.Post("/v1/traces", [this](const httplib::Request& req, httplib::Response& res) {
      auto body = json::parse(req.body, nullptr, false);
      std::lock_guard<std::mutex> guard{mutex_};
      if (body.is_discarded()) {
        bad_ += 1;
      } else {
        for (const auto& rs : body["resourceSpans"]) {
          std::string node, service;
          for (const auto& a : rs["resource"]["attributes"]) {
            if (a["key"] == "service.instance.id") node = a["value"]["stringValue"];
            if (a["key"] == "service.name") service = a["value"]["stringValue"];
          }
          if (service != "rad") bad_ += 1;
          for (const auto& ss : rs["scopeSpans"])
            for (const auto& s : ss["spans"]) spans_.push_back({node, s});
        }
      }
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread{[this] { server_.listen_after_bind(); }};
  }
  ~OtlpReceiver() {
    server_.stop();
    thread_.join();
  }

  std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/v1/traces";
  }
  std::vector<Got> spans() {
    std::lock_guard<std::mutex> guard{mutex_};
    return spans_;
  }
  int bad() {
    std::lock_guard<std::mutex> guard{mutex_};
    return bad_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Got> spans_;
  int bad_ = 0;
};

std::string attr(const json& span, const std::string& key) {
  for (const auto& a : span["attributes"])
    if (a["key"] == key)
      return a["value"].contains("stringValue") ? a["value"]["stringValue"].get<std::string>()
                                                : a["value"]["intValue"].get<std::string>();
  return {};
}

class Tracing : public RunsFixture {
 protected:
  void SetUp() override {
    std::map<std::string, std::string> env{{"RAD_TRACE_OTLP_ENDPOINT", receiver_.endpoint()},
                                           {"RAD_TRACE_SPANS", "true"}};
    start({"coord", "coordinator", env});
    start({"w1", "worker", env});
    start({"w2", "worker", env});
    expect_log("coord", kThreeUp);
  }

  // A wave of four stories that depend on nothing, spread over both workers.
  std::string run_plan() {
    auto run_id = submit(
        R"({"name":"traced","waves":[{"name":"w","stories":[
          {"id":"a","mock":{"durationMs":20}},{"id":"b","mock":{"durationMs":20}},
          {"id":"c","mock":{"durationMs":20}},{"id":"d","mock":{"durationMs":20}}]}]})");
    EXPECT_EQ(await_end(run_id).state(), v1::RUN_STATE_SUCCEEDED);
    return run_id;
  }

  // Waits (exports go out every second) until the receiver has every name.
  std::vector<OtlpReceiver::Got> await_spans(const std::set<std::string>& names) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    std::vector<OtlpReceiver::Got> got;
    while (std::chrono::steady_clock::now() < deadline) {
      got = receiver_.spans();
      std::set<std::string> seen;
      for (const auto& g : got) seen.insert(g.span["name"].get<std::string>());
      if (std::includes(seen.begin(), seen.end(), names.begin(), names.end())) return got;
      std::this_thread::yield();
    }
    ADD_FAILURE() << "the receiver never got every span name; got " << got.size() << " spans";
    return got;
  }

  OtlpReceiver receiver_;
};

TEST_F(Tracing, SpansOfCoordinatorAndWorkersReachTheCollectorInOneTree) {
  auto run_id = run_plan();
  auto got =
      await_spans({"submit", "validate", "schedule", "spawn", "run", "result", "checkpoint write"});
  EXPECT_EQ(receiver_.bad(), 0);
  // The exporters count what they delivered, on /metrics (once the POST's
  // answer is back): the coordinator, and the worker the stories went to
  // (one batch: both workers are summed).
  auto samples_of = [&](const char* node) { return prometheus_samples(scrape(node)); };
  auto exported = [&](std::initializer_list<const char*> nodes) {
    double sum = 0;
    for (const char* node : nodes) sum += samples_of(node)["rad_trace_spans_exported_total"];
    return sum;
  };
  EXPECT_TRUE(eventually_true([&] { return exported({"coord"}) > 0; }, 10s));
  EXPECT_TRUE(eventually_true([&] { return exported({"w1", "w2"}) > 0; }, 10s));
  for (const char* node : {"coord", "w1", "w2"}) {
    auto samples = samples_of(node);
    ASSERT_TRUE(samples.count("rad_trace_spans_dropped_total")) << node;
    EXPECT_EQ(samples["rad_trace_spans_dropped_total"], 0) << node;
  }
  // The run's trace: the trace id of its submit span.
  std::string trace_id;
  std::map<std::string, OtlpReceiver::Got> by_id;
  for (const auto& g : got) {
    by_id[g.span["spanId"]] = g;
    if (g.span["name"] == "submit" && attr(g.span, "run.id") == run_id)
      trace_id = g.span["traceId"];
  }
  ASSERT_FALSE(trace_id.empty()) << "no submit span of " << run_id;
  std::set<std::string> stories_run;
  for (const auto& g : got) {
    if (g.span["traceId"] != trace_id) continue;
    const auto& s = g.span;
    auto parent = by_id.find(s.value("parentSpanId", ""));
    if (s["name"] == "spawn") {
      EXPECT_TRUE(g.node == "w1" || g.node == "w2") << "spawn on " << g.node;
      ASSERT_NE(parent, by_id.end()) << "the parent of a spawn span was exported too";
      EXPECT_EQ(parent->second.node, "coord");
      EXPECT_EQ(parent->second.span["name"], "schedule");
    }
    if (s["name"] == "run") {
      EXPECT_TRUE(g.node == "w1" || g.node == "w2") << "run on " << g.node;
      ASSERT_NE(parent, by_id.end());
      EXPECT_EQ(parent->second.span["name"], "spawn");
      EXPECT_EQ(parent->second.node, g.node);
      stories_run.insert(attr(s, "story.id"));
    }
    if (s["name"] == "result" && !attr(s, "story.id").empty()) {
      EXPECT_EQ(g.node, "coord");
      ASSERT_NE(parent, by_id.end()) << "a story's result hangs from its run span";
      EXPECT_EQ(parent->second.span["name"], "run");
      EXPECT_EQ(attr(parent->second.span, "story.id"), attr(s, "story.id"));
    }
    if (s["name"] == "schedule" || s["name"] == "validate") {
      ASSERT_NE(parent, by_id.end());
      EXPECT_EQ(parent->second.span["name"], "submit");
    }
  }
  EXPECT_EQ(stories_run, (std::set<std::string>{"a", "b", "c", "d"}));
}

TEST_F(Tracing, RadctlTraceShowsTheStoryAcrossNodes) {
  auto run_id = run_plan();
  // The worker's spans come home with the result: nothing to wait for.
  auto r = radctl({"trace", run_id, "c"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  std::istringstream in{r.out};
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  // submit > schedule > spawn > run > result, each one level deeper.
  std::vector<std::pair<std::string, std::string>> expected = {{"submit", "coord"},
                                                               {"  schedule", "coord"},
                                                               {"    spawn", "w"},
                                                               {"      run", "w"},
                                                               {"        result", "coord"}};
  size_t at = 0;
  for (const auto& line : lines)
    if (at < expected.size() && line.rfind(expected[at].first + " ", 0) == 0) {
      EXPECT_NE(line.find(" " + expected[at].second), std::string::npos) << line;
      EXPECT_NE(line.find(" ms"), std::string::npos) << line;
      ++at;
    }
  EXPECT_EQ(at, expected.size()) << r.out;
  EXPECT_EQ(r.out.find("story.id=a"), std::string::npos) << "only story c and its ancestors";

  auto all = radctl({"trace", run_id, "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  auto list = json::parse(all.out);
  std::set<std::string> nodes;
  for (const auto& s : list["spans"]) nodes.insert(s["node"].get<std::string>());
  EXPECT_TRUE(nodes.count("coord") && (nodes.count("w1") || nodes.count("w2"))) << all.out;

  auto unknown = radctl({"trace", "run-nope"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_NE(unknown.err.find("run-nope"), std::string::npos) << unknown.err;
}

TEST_F(Tracing, SpansOffRecordNothing) {
  // A coordinator with spans off starts traces not sampled: no node records.
  node("coord").signal(SIGTERM);
  ASSERT_EQ(node("coord").wait_exit(), 0);
  start({"coord",
         "coordinator",
         {{"RAD_TRACE_OTLP_ENDPOINT", receiver_.endpoint()}, {"RAD_TRACE_SPANS", "false"}}});
  expect_log("coord", kThreeUp, 20s);
  auto before = receiver_.spans().size();
  auto run_id = run_plan();
  auto r = radctl({"trace", run_id});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("kept no spans"), std::string::npos) << r.err;
  // Stopped, every node has written all it logs and exported all it had.
  for (const char* name : {"w1", "w2", "coord"}) {
    node(name).signal(SIGTERM);
    ASSERT_EQ(node(name).wait_exit(), 0) << name;
    EXPECT_NE(node(name).out().find("\"stopped\""), std::string::npos) << name;
    EXPECT_EQ(node(name).out().find("\"component\":\"trace\""), std::string::npos) << name;
  }
  EXPECT_EQ(receiver_.spans().size(), before);
}

}  // namespace
}  // namespace rad::test
