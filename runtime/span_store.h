// The spans of recent runs, kept in memory by the coordinator for
// GET /v1/runs/ID/trace. Bounded: the oldest trace is forgotten first, and a
// trace keeps at most max_spans_per_trace spans (the first ones). Spans are
// kept once per span id: with role all a worker span is both recorded locally
// and carried back on its result. Thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "rad/v1/trace.pb.h"

namespace rad {

class SpanStore {
 public:
  SpanStore(size_t max_traces, size_t max_spans_per_trace)
      : max_traces_(max_traces), max_spans_(max_spans_per_trace) {}

  void add(const v1::Span& span);
  std::vector<v1::Span> spans_of(const std::string& trace_id) const;

 private:
  struct Trace {
    std::vector<v1::Span> spans;
    std::unordered_set<std::string> ids;
  };
  size_t max_traces_, max_spans_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Trace> traces_;
  std::deque<std::string> order_;  // trace ids, oldest first
};

}  // namespace rad
