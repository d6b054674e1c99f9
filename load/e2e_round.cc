#include "load/e2e_round.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/api_client.h"
#include "client/plan_shape.h"
#include "client/submit_client.h"
#include "load/bench_cluster.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"
#include "runtime/error.h"

namespace rad::bench {
namespace {

using Clock = std::chrono::steady_clock;

// One wave of zero-duration mock stories.
std::string plan_json(int stories, int round) {
  PlanShape shape;
  shape.name = "e2e-" + std::to_string(round);
  shape.stories = stories;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(make_plan(shape), &out);
  return out;
}

}  // namespace

E2eRound run_e2e_round(const std::string& api, int stories, int round) {
  return run_plan_round(api, plan_json(stories, round), stories);
}

E2eRound run_plan_round(const std::string& api, const std::string& body, int stories) {
  auto start = Clock::now();
  auto answer = rad::submit_plan(api, body);
  if (!answer) {
    std::fprintf(stderr, "submit failed: %s\n", rad::error_message(answer.error()).c_str());
    return {};
  }
  auto run_id = answer->run_id;
  auto submitted = Clock::now();
  rad::v1::RunStatus status;
  auto deadline = start + std::chrono::minutes{5};
  while (Clock::now() < deadline) {
    if (auto err = rad::api_get(api, "/v1/runs/" + run_id + "?stories=false", status)) {
      std::fprintf(stderr, "status failed: %s\n", rad::error_message(err).c_str());
      return {};
    }
    if (status.has_finished_at()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});  // the poll's pace
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (status.counts().succeeded() != static_cast<uint32_t>(stories) ||
      status.counts().total() != static_cast<uint32_t>(stories)) {
    std::fprintf(stderr, "run %s: only %u of %d stories succeeded: %s\n", run_id.c_str(),
                 status.counts().succeeded(), stories, status.ShortDebugString().c_str());
    return {};
  }
  using google::protobuf::util::TimeUtil;
  double server = static_cast<double>(TimeUtil::DurationToMicroseconds(status.finished_at() -
                                                                       status.started_at())) /
                  1e6;
  std::fprintf(stderr, "submit %.0f ms, run %.0f ms on the coordinator, %.0f ms in all\n",
               std::chrono::duration<double, std::milli>(submitted - start).count(), server * 1e3,
               seconds * 1e3);
  return {stories / seconds, stories / server, run_id};
}

double compare_on_off(BenchCluster& on, BenchCluster& off, const char* what, int stories,
                      int repeat) {
  auto api = [](const BenchCluster& c) {
    return "http://127.0.0.1:" + std::to_string(c.coordinator_http_port());
  };
  std::vector<double> with, without;
  for (int round = 0; round < repeat; ++round) {
    bool on_first = round % 2 == 0;
    for (bool feature : {on_first, !on_first}) {
      auto& cluster = feature ? on : off;
      auto r = run_e2e_round(api(cluster), stories, round);
      if (r.client_rate < 0) {
        cluster.dump();
        return -1;
      }
      (feature ? with : without).push_back(r.client_rate);
    }
    std::printf("round %d: %s on %.0f stories/s, off %.0f stories/s\n", round + 1, what,
                with.back(), without.back());
  }
  double m_on = median(with), m_off = median(without);
  std::printf(
      "median of %d: %s on %.0f stories/s, off %.0f stories/s, ratio %.3f (cost %.1f%%; "
      "floor: at most 5%%)\n",
      repeat, what, m_on, m_off, m_on / m_off, 100 * (1 - m_on / m_off));
  return m_on / m_off;
}

}  // namespace rad::bench
