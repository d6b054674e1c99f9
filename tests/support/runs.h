// Running plans against a cluster of real rad-node processes: submit through
// radctl, follow a run through the coordinator's HTTP API, and check what the
// checkpoint store holds once the coordinator stopped.
#pragma once

#include <gtest/gtest.h>

#include <caf/scoped_actor.hpp>
#include <functional>
#include <map>
#include <string>

#include "actors/agent_host.h"
#include "actors/run_state.h"
#include "client/api_client.h"
#include "client/prometheus_text.h"
#include "persistence/store.h"
#include "rad/v1/run.pb.h"
#include "runtime/error.h"
#include "tests/support/cluster.h"

namespace rad::test {

class RunsFixture : public ClusterFixture {
 protected:
  std::string api() { return cluster_.api(); }

  RunResult radctl(std::vector<std::string> args, std::chrono::milliseconds timeout = 60s) {
    ProcessOptions o;
    o.argv = {binary("radctl"), "--api", api()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    return run(o, timeout);
  }

  // A plan of one wave "w" of stories s0, s1, ...: `fields(i)` are story i's
  // fields after its id, e.g. R"("mock":{"durationMs":10})"; `wave_fields` more
  // of the wave's, each followed by a comma, e.g. R"("maxConcurrent":4,)".
  static std::string one_wave_plan(const std::string& name, int stories,
                                   const std::function<std::string(int)>& fields,
                                   const std::string& wave_fields = "") {
    std::string list;
    for (int i = 0; i < stories; ++i)
      list +=
          std::string{i ? "," : ""} + R"({"id":"s)" + std::to_string(i) + R"(",)" + fields(i) + "}";
    return R"({"name":")" + name + R"(","waves":[{"name":"w",)" + wave_fields + R"("stories":[)" +
           list + "]}]}";
  }
  static std::string one_wave_plan(const std::string& name, int stories, const std::string& fields,
                                   const std::string& wave_fields = "") {
    return one_wave_plan(
        name, stories, [&](int) { return fields; }, wave_fields);
  }

  // A coordinator and workers w1 and w2, all up.
  void start_three_nodes() {
    coordinator();
    start({"w1"});
    start({"w2"});
    expect_log("coord", kThreeUp);
  }

  // Node `name`'s /metrics page (Prometheus text); a failure of the test when
  // it does not answer.
  std::string scrape(const std::string& name) {
    auto text = api_request("GET", cluster_.metrics(name), "/metrics");
    EXPECT_TRUE(text) << name << ": " << error_message(text.error());
    return text ? *text : std::string{};
  }

  std::string submit(const std::string& plan_json) {
    auto path = dir_.file("plan-" + std::to_string(++plans_) + ".json", plan_json);
    auto r = radctl({"submit", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }

  v1::RunStatus status(const std::string& run_id) {
    v1::RunStatus s;
    auto err = api_get(api(), "/v1/runs/" + run_id, s);
    EXPECT_FALSE(err) << error_message(err);
    return s;
  }

  // Asks the API (a round trip each time) until the run is over or the deadline passes.
  v1::RunStatus await_end(const std::string& run_id, std::chrono::milliseconds timeout = 20s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    v1::RunStatus s;
    while (std::chrono::steady_clock::now() < deadline)
      if ((s = status(run_id)).has_finished_at()) return s;
    ADD_FAILURE() << "run " << run_id << " did not end: " << s.ShortDebugString();
    return s;
  }

  // Every story ended exactly once: the counts add up and none is left open.
  static void expect_all_terminal(const v1::RunStatus& s) {
    const auto& c = s.counts();
    EXPECT_EQ(c.succeeded() + c.dead() + c.cancelled(), c.total()) << s.ShortDebugString();
    for (const auto& w : s.waves())
      for (const auto& story : w.stories())
        EXPECT_TRUE(is_terminal(story.state())) << story.ShortDebugString();
  }

  // Per story of the run, the terminal transitions the checkpoint store of
  // `node` holds (read only: the node may run).
  std::map<std::string, int> terminal_transitions(const std::string& node,
                                                  const std::string& run_id) {
    std::map<std::string, int> ends;
    auto store = Store::open_read_only(dir_.path() + "/" + node + "/checkpoint");
    EXPECT_TRUE(store) << error_message(store.error());
    if (!store) return ends;
    EXPECT_FALSE((*store)->for_each_event(run_id, [&](const v1::StoryTransition& t) {
      if (is_terminal(t.to())) ++ends[t.story_id()];
      return true;
    }));
    return ends;
  }

  // The agents node `name` runs now, from its /metrics.
  uint32_t agents_running(const std::string& name) {
    return static_cast<uint32_t>(prometheus_samples(scrape(name))["active_agents"]);
  }

  // Asks again (a round trip each time) until `done()` or the deadline passes.
  template <class F>
  static bool eventually_true(F done, std::chrono::milliseconds timeout = 20s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline)
      if (done()) return true;
    return false;
  }

  // Asks again until `value()` is `expected` or 10 s pass.
  template <class F>
  static bool eventually_equal(F value, decltype(std::declval<F>()()) expected) {
    return eventually_true([&] { return value() == expected; }, 10s);
  }

  int plans_ = 0;
};

}  // namespace rad::test
