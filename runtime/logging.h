// Structured logs through spdlog. Every record carries time, level, node,
// component and, inside a TraceScope, the trace id. JSON lines when the output
// is not a terminal (or format "json"), readable lines otherwise.
//
//   auto log = rad::logger("membership");
//   log->info("node {} joined", name);
//
// Never pass a secret to a log call: configs are logged through redacted_json().
#pragma once

#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <string_view>

namespace rad {
namespace v1 {
class Span;
}

struct LogOptions {
  // Node name carried by every record.
  std::string node;
  // trace, debug, info, warn, error or off.
  std::string level = "info";
  // auto (text on a terminal, JSON otherwise), json or text.
  std::string format = "auto";
  // stdout for daemons; tools whose stdout is output log to stderr.
  bool to_stderr = false;
};

// Configures every logger, existing and future. Safe to call again.
void init_logging(const LogOptions& options);

// The logger of `component`, created on first use.
std::shared_ptr<spdlog::logger> logger(std::string_view component);

// Records logged on this thread while the scope lives carry the trace id of
// `traceparent` (nothing when it is invalid). Scopes nest.
class TraceScope {
 public:
  explicit TraceScope(std::string_view traceparent);
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

 private:
  std::string previous_;
};

// One record of component "trace", message "span NAME", whose JSON form
// carries the span's fields: trace_id, span_id, parent_span_id, start (ISO
// 8601), duration_ms and each attribute under its own key.
void log_span(const v1::Span& span);

// The formatters init_logging() installs; exposed for tests.
std::unique_ptr<spdlog::formatter> make_json_formatter(std::string node);
std::unique_ptr<spdlog::formatter> make_text_formatter(std::string node);

}  // namespace rad
