// Spans as an OTLP/HTTP JSON ExportTraceServiceRequest
// (opentelemetry-proto, JSON mapping): one resourceSpans with service.name
// "rad" and the node's name, one scopeSpans of scope "rad", ids in hex,
// times as strings of nanoseconds.
#pragma once

#include <string>
#include <vector>

#include "rad/v1/trace.pb.h"

namespace rad {

std::string otlp_json(const std::vector<v1::Span>& spans, const std::string& node);

}  // namespace rad
