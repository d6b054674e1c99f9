#include "runtime/tracer.h"

#include <atomic>
#include <memory>
#include <mutex>

#include "runtime/logging.h"
#include "runtime/metrics.h"
#include "runtime/otlp_exporter.h"
#include "runtime/span_store.h"

namespace rad {
namespace {

// A run of 100k stories with every attempt traced stays below this.
constexpr size_t kMaxSpansPerRun = 50000;

struct Tracer {
  TracingOptions options;
  std::unique_ptr<OtlpExporter> exporter;
  std::unique_ptr<SpanStore> store;
};

std::mutex tracer_mutex;
std::shared_ptr<Tracer> tracer;  // under tracer_mutex; spans copy the pointer
std::atomic<bool> enabled{false};
std::atomic<uint32_t> per_run{1000};

std::shared_ptr<Tracer> current() {
  std::lock_guard<std::mutex> guard{tracer_mutex};
  return tracer;
}

}  // namespace

caf::error configure_tracing(const TracingOptions& options) {
  auto next = std::make_shared<Tracer>();
  next->options = options;
  if (!options.otlp_endpoint.empty()) {
    auto exporter = OtlpExporter::start(options.otlp_endpoint, options.node);
    if (!exporter) return exporter.error();
    next->exporter = std::move(*exporter);
  }
  if (options.keep_runs > 0)
    next->store = std::make_unique<SpanStore>(options.keep_runs, kMaxSpansPerRun);
  enabled = options.spans;
  per_run = options.story_spans_per_run;
  std::lock_guard<std::mutex> guard{tracer_mutex};
  tracer = std::move(next);
  return caf::none;
}

void stop_tracing() {
  std::shared_ptr<Tracer> last;
  {
    std::lock_guard<std::mutex> guard{tracer_mutex};
    last = std::move(tracer);
  }
  // The exporter flushes as it goes, once no span holds the tracer any more.
}

bool spans_enabled() { return enabled; }
uint32_t story_spans_per_run() { return per_run; }

void record_span(v1::Span& span) {
  auto t = current();
  if (t) span.set_node(t->options.node);
  log_span(span);
  if (!t) return;
  if (t->exporter) t->exporter->offer(span);
  if (t->store) t->store->add(span);
}

void keep_remote_spans(const google::protobuf::RepeatedPtrField<v1::Span>& spans) {
  if (spans.empty()) return;
  auto t = current();
  if (!t || !t->store) return;
  for (const auto& s : spans) t->store->add(s);
}

std::vector<v1::Span> kept_spans(const std::string& trace_id) {
  auto t = current();
  return t && t->store ? t->store->spans_of(trace_id) : std::vector<v1::Span>{};
}

TracingCounts tracing_counts() {
  auto t = current();
  if (!t || !t->exporter) return {};
  return {t->exporter->exported(), t->exporter->dropped(), t->exporter->failed()};
}

std::vector<prometheus::MetricFamily> TracingMetrics::Collect() const {
  auto c = tracing_counts();
  return {
      counter_family("rad_trace_spans_exported_total", "Spans the OTLP exporter delivered",
                     static_cast<double>(c.exported)),
      counter_family("rad_trace_spans_dropped_total",
                     "Spans dropped because the OTLP exporter's queue was full",
                     static_cast<double>(c.dropped)),
      counter_family("rad_trace_export_failures_total", "OTLP exports that failed",
                     static_cast<double>(c.failed)),
  };
}

}  // namespace rad
