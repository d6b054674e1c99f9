// Where this process's finished spans go: a log record each (component
// "trace"), the OTLP exporter when an endpoint is set, and, on a coordinator,
// the span store behind GET /v1/runs/ID/trace. Configured once per node at
// start; before that (tools, tests) spans are only logged.
#pragma once

#include <prometheus/collectable.h>

#include <caf/error.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "rad/v1/trace.pb.h"

namespace rad {

struct TracingOptions {
  // Carried by every span this process records.
  std::string node;
  // trace.spans: whether this node starts sampled traces (a submitted run's).
  bool spans = false;
  // trace.story_spans_per_run: attempts of a run that get spans of their own.
  uint32_t story_spans_per_run = 1000;
  // trace.otlp_endpoint: "" exports nothing.
  std::string otlp_endpoint;
  // Runs (traces) whose spans are kept for radctl trace; 0 keeps none (workers).
  uint32_t keep_runs = 0;
};

// Replaces the configuration; a previous exporter is flushed and stopped.
// invalid_input when the endpoint is not an http:// URL.
caf::error configure_tracing(const TracingOptions& options);
// Flushes what the exporter holds (bounded wait) and stops it.
void stop_tracing();

// Whether new traces started here are sampled (trace.spans).
bool spans_enabled();
// trace.story_spans_per_run.
uint32_t story_spans_per_run();

// Records a finished span of this node: sets its node, logs, exports, keeps.
void record_span(v1::Span& span);
// Keeps spans another node recorded (they came with a result); not logged or
// exported again: their node did that.
void keep_remote_spans(const google::protobuf::RepeatedPtrField<v1::Span>& spans);
// The spans kept of trace `trace_id`, in the order they were kept.
std::vector<v1::Span> kept_spans(const std::string& trace_id);

struct TracingCounts {
  uint64_t exported = 0, dropped = 0, failed = 0;
};
// What the exporter did so far (zeros without one).
TracingCounts tracing_counts();

// rad_trace_spans_exported_total, rad_trace_spans_dropped_total and
// rad_trace_export_failures_total, from tracing_counts() at each scrape.
class TracingMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace rad
