// A client that polls a run's status the way a dashboard does, and what it
// saw: GET /v1/runs/ID?stories=false every `every` until the run is over, each
// answer's HTTP status and latency. Used by the integration test (no error
// while a run is busy) and by rad-bench-status (how fast, on a million stories).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace rad {

struct PollReport {
  // One per request to the run's path, in order: milliseconds from sending to
  // the whole answer; and the same of the other paths (PollOptions::also).
  std::vector<double> latency_ms, also_ms;
  // Answers that were not 200, or no answer at all: "HTTP 500: body" or why.
  std::vector<std::string> errors;
  bool ended = false;  // the last answer showed the run over

  // Of the run's path (latency_ms).
  double percentile(double p) const;  // p in [0, 100]; 0 with no sample
  double max() const { return percentile(100); }
  // "N polls, p50 X ms, p99 Y ms, max Z ms, E errors", and the same of the
  // other paths when there were any.
  std::string summary() const;
};

struct PollOptions {
  std::string path;  // e.g. "/v1/runs/run-1?stories=false"
  std::chrono::milliseconds every{10};
  // Gives up after this long (ended stays false).
  std::chrono::milliseconds deadline{std::chrono::minutes{5}};
  // Also GET these each round (e.g. /v1/runs, /v1/nodes, /health), counted alike.
  std::vector<std::string> also;
};

// Polls the API at 127.0.0.1:`port` until an answer to `options.path` carries
// "finishedAt" (the run is over) or the deadline passes. A timed-out request
// (5 s) is an error, not a hang.
PollReport poll_until_over(uint16_t port, const PollOptions& options);

}  // namespace rad
