#include "runtime/span.h"

#include <chrono>

#include "runtime/trace.h"
#include "runtime/tracer.h"

namespace rad {

uint64_t unix_nanos_now() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

ActiveSpan::ActiveSpan(std::string_view name, std::string_view parent, uint64_t start_unix_nano) {
  if (!sampled(parent)) return;
  traceparent_ = child_traceparent(parent);
  span_.emplace();
  span_->set_trace_id(std::string{parent.substr(3, 32)});
  span_->set_span_id(traceparent_.substr(36, 16));
  span_->set_parent_span_id(std::string{parent.substr(36, 16)});
  span_->set_name(std::string{name});
  span_->set_start_unix_nano(start_unix_nano != 0 ? start_unix_nano : unix_nanos_now());
}

ActiveSpan ActiveSpan::root(std::string_view name, bool sampled) {
  ActiveSpan span{name, new_traceparent(sampled)};
  if (span.span_) span.span_->clear_parent_span_id();
  return span;
}

ActiveSpan& ActiveSpan::attr(std::string_view key, std::string_view value) {
  if (!span_) return *this;
  auto* a = span_->add_attributes();
  a->set_key(std::string{key});
  a->set_string_value(std::string{value});
  return *this;
}

ActiveSpan& ActiveSpan::attr(std::string_view key, int64_t value) {
  if (!span_) return *this;
  auto* a = span_->add_attributes();
  a->set_key(std::string{key});
  a->set_int_value(value);
  return *this;
}

std::optional<v1::Span> ActiveSpan::finish() {
  if (!span_) return std::nullopt;
  span_->set_end_unix_nano(unix_nanos_now());
  auto done = std::move(*span_);
  span_.reset();
  record_span(done);
  return done;
}

}  // namespace rad
