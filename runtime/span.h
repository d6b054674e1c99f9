// A span being timed. It is active only when its parent context is sampled:
// whoever starts a trace decides (the coordinator, by trace.spans and
// trace.story_spans_per_run) and every node follows that mark. An inactive
// span costs a branch and records nothing, so call sites need no ifs.
//
//   ActiveSpan span{"validate", parent_traceparent};
//   span.attr("run.id", id);
//   call_something(span.traceparent());  // children continue from here
//   span.finish();                      // logged, exported, kept
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rad/v1/trace.pb.h"

namespace rad {

// Nanoseconds since the Unix epoch, now.
uint64_t unix_nanos_now();

class ActiveSpan {
 public:
  // A child span of `parent` (a traceparent), started at `start_unix_nano`
  // (0: now). Inactive unless `parent` is sampled.
  explicit ActiveSpan(std::string_view name, std::string_view parent, uint64_t start_unix_nano = 0);

  // The first span of a new trace, sampled or not (then inactive).
  static ActiveSpan root(std::string_view name, bool sampled);

  bool active() const { return span_.has_value(); }
  // This span's context, for its children; "" when inactive.
  const std::string& traceparent() const { return traceparent_; }

  ActiveSpan& attr(std::string_view key, std::string_view value);
  ActiveSpan& attr(std::string_view key, int64_t value);

  // Ends it now, and records it (log, export, keep); the span, for whoever
  // carries it on (none when inactive). Idempotent.
  std::optional<v1::Span> finish();

 private:
  std::optional<v1::Span> span_;
  std::string traceparent_;
};

}  // namespace rad
