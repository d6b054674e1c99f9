#include "client/status_poll.h"

#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

namespace rad {

namespace {

double percentile_of(std::vector<double> sorted, double p) {
  if (sorted.empty()) return 0;
  std::sort(sorted.begin(), sorted.end());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

double PollReport::percentile(double p) const { return percentile_of(latency_ms, p); }

std::string PollReport::summary() const {
  char line[300];
  int n = std::snprintf(line, sizeof line,
                        "%zu polls, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %zu errors",
                        latency_ms.size(), percentile(50), percentile(99), max(), errors.size());
  if (!also_ms.empty() && n > 0 && static_cast<size_t>(n) < sizeof line)
    std::snprintf(line + n, sizeof line - static_cast<size_t>(n),
                  "; other paths: %zu requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                  also_ms.size(), percentile_of(also_ms, 50), percentile_of(also_ms, 99),
                  percentile_of(also_ms, 100));
  return line;
}

PollReport poll_until_over(uint16_t port, const PollOptions& options) {
  using Clock = std::chrono::steady_clock;
  httplib::Client client{"127.0.0.1", port};
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(5, 0);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // as a latency-minded client does; the server does too
  PollReport report;
  // One request, timed; true when it answered 200 and `over` says the run ended.
  auto get = [&](const std::string& path, bool* over) {
    auto start = Clock::now();
    auto res = client.Get(path.c_str());
    (over ? report.latency_ms : report.also_ms)
        .push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (!res) {
      report.errors.push_back(path + ": no answer (" + httplib::to_string(res.error()) + ")");
      return;
    }
    if (res->status != 200) {
      report.errors.push_back(path + ": HTTP " + std::to_string(res->status) + ": " + res->body);
      return;
    }
    if (over) *over = res->body.find("\"finishedAt\"") != std::string::npos;
  };
  auto deadline = Clock::now() + options.deadline;
  while (Clock::now() < deadline) {
    bool over = false;
    get(options.path, &over);  // `over` set: the run's path
    for (const auto& path : options.also) get(path, nullptr);
    if (over) {
      report.ended = true;
      break;
    }
    std::this_thread::sleep_for(options.every);  // the poll's pace, as a dashboard's
  }
  return report;
}

}  // namespace rad
