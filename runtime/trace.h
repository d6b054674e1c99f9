// W3C trace context: ids for following a story across nodes.
#pragma once

#include <string>
#include <string_view>

namespace rad {

// A new trace: "00-<trace id>-<span id>-<flags>" with fresh random ids; flags
// 01 when `sampled` (its spans are recorded), 00 otherwise.
std::string new_traceparent(bool sampled = true);

// The same trace with a fresh span id and the parent's flags: the context a
// callee continues with. An invalid parent starts a new (sampled) trace.
std::string child_traceparent(std::string_view parent);

// The context "00-<trace id>-<span id>-<flags>".
std::string make_traceparent(std::string_view trace_id, std::string_view span_id, bool sampled);

// The 16 hex digits of the span id, or "" when `traceparent` is invalid.
std::string span_id_of(std::string_view traceparent);

// True when `traceparent` is valid and its sampled flag is set: spans in it
// are recorded. The caller decides; its callees follow.
bool sampled(std::string_view traceparent);

// True for a well-formed version-00 traceparent with non-zero ids.
bool valid_traceparent(std::string_view traceparent);

// The 32 hex digits of the trace id, or "" when `traceparent` is invalid.
std::string trace_id_of(std::string_view traceparent);

// Gives an envelope (any message with a TraceContext `trace`) its context: a
// child of `parent`, or a new trace when there is no valid parent.
template <class Envelope>
Envelope& traced(Envelope& envelope, std::string_view parent = {}) {
  envelope.mutable_trace()->set_traceparent(valid_traceparent(parent) ? child_traceparent(parent)
                                                                      : new_traceparent());
  return envelope;
}

}  // namespace rad
