// W3C trace context: ids for following a story across nodes.
#pragma once

#include <string>
#include <string_view>

namespace rad {

// A new trace: "00-<trace id>-<span id>-01" with fresh random ids.
std::string new_traceparent();

// The same trace with a fresh span id: the context a callee continues with.
// An invalid parent starts a new trace.
std::string child_traceparent(std::string_view parent);

// True for a well-formed version-00 traceparent with non-zero ids.
bool valid_traceparent(std::string_view traceparent);

// The 32 hex digits of the trace id, or "" when `traceparent` is invalid.
std::string trace_id_of(std::string_view traceparent);

}  // namespace rad
