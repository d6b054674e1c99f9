#include "runtime/logging.h"

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

#include "rad/v1/trace.pb.h"
#include "runtime/trace.h"

namespace rad {
namespace {

thread_local std::string current_trace_id;
// Set by log_span() for the one record it writes: the formatters add its fields.
thread_local const v1::Span* current_span = nullptr;

std::string iso8601_nanos(uint64_t unix_nano);

double duration_ms(const v1::Span& s) {
  return s.end_unix_nano() > s.start_unix_nano()
             ? static_cast<double>(s.end_unix_nano() - s.start_unix_nano()) / 1e6
             : 0.0;
}

void add_span_fields(nlohmann::ordered_json& record, const v1::Span& s) {
  record["trace_id"] = s.trace_id();
  record["span_id"] = s.span_id();
  if (!s.parent_span_id().empty()) record["parent_span_id"] = s.parent_span_id();
  record["span"] = s.name();
  record["start"] = iso8601_nanos(s.start_unix_nano());
  record["duration_ms"] = duration_ms(s);
  for (const auto& a : s.attributes()) {
    if (a.value_case() == v1::SpanAttribute::kIntValue)
      record[a.key()] = a.int_value();
    else
      record[a.key()] = a.string_value();
  }
}

std::string iso8601(spdlog::log_clock::time_point t) {
  auto since_epoch = t.time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - secs).count();
  std::time_t tt = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(millis));
  return buf;
}

std::string iso8601_nanos(uint64_t unix_nano) {
  auto secs = static_cast<std::time_t>(unix_nano / 1000000000u);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06uZ",
                static_cast<unsigned>((unix_nano % 1000000000u) / 1000u));
  return buf;
}

std::string_view level_name(spdlog::level::level_enum level) {
  auto sv = spdlog::level::to_string_view(level);
  return {sv.data(), sv.size()};
}

class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string node) : node_(std::move(node)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::ordered_json record;
    record["ts"] = iso8601(msg.time);
    record["level"] = level_name(msg.level);
    record["node"] = node_;
    record["component"] = std::string_view{msg.logger_name.data(), msg.logger_name.size()};
    if (!current_trace_id.empty()) record["trace_id"] = current_trace_id;
    record["msg"] = std::string_view{msg.payload.data(), msg.payload.size()};
    if (current_span) add_span_fields(record, *current_span);
    // Invalid UTF-8 in a message is replaced rather than thrown on.
    auto line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(node_);
  }

 private:
  std::string node_;
};

class TextFormatter final : public spdlog::formatter {
 public:
  explicit TextFormatter(std::string node) : node_(std::move(node)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = iso8601(msg.time);
    line += ' ';
    auto level = level_name(msg.level);
    line.append(level.data(), level.size());
    line.append(level.size() < 5 ? 6 - level.size() : 1, ' ');
    line += '[' + node_ + '/';
    line.append(msg.logger_name.data(), msg.logger_name.size());
    line += "] ";
    line.append(msg.payload.data(), msg.payload.size());
    if (current_span) {
      const auto& s = *current_span;
      line += fmt::format(" {:.3f} ms trace={} span={}", duration_ms(s), s.trace_id(), s.span_id());
      if (!s.parent_span_id().empty()) line += " parent=" + s.parent_span_id();
      for (const auto& a : s.attributes())
        line += " " + a.key() + "=" +
                (a.value_case() == v1::SpanAttribute::kIntValue ? std::to_string(a.int_value())
                                                                : a.string_value());
    } else if (!current_trace_id.empty()) {
      line += " trace=" + current_trace_id;
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>(node_);
  }

 private:
  std::string node_;
};

struct LogState {
  std::mutex mutex;
  spdlog::sink_ptr sink;
  spdlog::level::level_enum level = spdlog::level::info;
};

LogState& state() {
  static LogState s;
  return s;
}

spdlog::sink_ptr make_sink(const LogOptions& options) {
  spdlog::sink_ptr sink;
  if (options.to_stderr)
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  else
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  bool terminal = ::isatty(options.to_stderr ? STDERR_FILENO : STDOUT_FILENO) == 1;
  bool json = options.format == "json" || (options.format == "auto" && !terminal);
  sink->set_formatter(json ? make_json_formatter(options.node) : make_text_formatter(options.node));
  return sink;
}

}  // namespace

std::unique_ptr<spdlog::formatter> make_json_formatter(std::string node) {
  return std::make_unique<JsonFormatter>(std::move(node));
}

std::unique_ptr<spdlog::formatter> make_text_formatter(std::string node) {
  return std::make_unique<TextFormatter>(std::move(node));
}

void init_logging(const LogOptions& options) {
  auto& s = state();
  std::lock_guard<std::mutex> guard{s.mutex};
  s.sink = make_sink(options);
  s.level = spdlog::level::from_str(options.level);
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks() = {s.sink};
    l->set_level(s.level);
  });
}

std::shared_ptr<spdlog::logger> logger(std::string_view component) {
  auto& s = state();
  std::lock_guard<std::mutex> guard{s.mutex};
  std::string name{component};
  if (auto existing = spdlog::get(name)) return existing;
  if (!s.sink) s.sink = make_sink(LogOptions{"", "info", "auto", true});
  auto created = std::make_shared<spdlog::logger>(name, s.sink);
  created->set_level(s.level);
  created->flush_on(spdlog::level::trace);
  spdlog::register_logger(created);
  return created;
}

void log_span(const v1::Span& span) {
  static const auto log = logger("trace");
  if (!log->should_log(spdlog::level::info)) return;
  current_span = &span;
  log->info("span {}", span.name());
  current_span = nullptr;
}

TraceScope::TraceScope(std::string_view traceparent) : previous_(std::move(current_trace_id)) {
  current_trace_id = trace_id_of(traceparent);
}

TraceScope::~TraceScope() { current_trace_id = std::move(previous_); }

}  // namespace rad
