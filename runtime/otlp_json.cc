#include "runtime/otlp_json.h"

#include <nlohmann/json.hpp>

#include "runtime/version.h"

namespace rad {
namespace {

using nlohmann::json;

json string_attr(const std::string& key, const std::string& value) {
  return {{"key", key}, {"value", {{"stringValue", value}}}};
}

json attributes_of(const v1::Span& span) {
  auto out = json::array();
  for (const auto& a : span.attributes()) {
    if (a.value_case() == v1::SpanAttribute::kIntValue)
      // int64 is a string in the protobuf JSON mapping OTLP uses.
      out.push_back({{"key", a.key()}, {"value", {{"intValue", std::to_string(a.int_value())}}}});
    else
      out.push_back(string_attr(a.key(), a.string_value()));
  }
  return out;
}

}  // namespace

std::string otlp_json(const std::vector<v1::Span>& spans, const std::string& node) {
  auto encoded = json::array();
  for (const auto& s : spans) {
    json span = {{"traceId", s.trace_id()},
                 {"spanId", s.span_id()},
                 {"name", s.name()},
                 {"kind", 1},  // SPAN_KIND_INTERNAL
                 {"startTimeUnixNano", std::to_string(s.start_unix_nano())},
                 {"endTimeUnixNano", std::to_string(s.end_unix_nano())},
                 {"attributes", attributes_of(s)}};
    if (!s.parent_span_id().empty()) span["parentSpanId"] = s.parent_span_id();
    encoded.push_back(std::move(span));
  }
  json resource = {{"attributes",
                    {string_attr("service.name", "rad"), string_attr("service.instance.id", node),
                     string_attr("rad.node", node), string_attr("service.version", kVersion)}}};
  json body = {{"resourceSpans",
                {{{"resource", resource},
                  {"scopeSpans",
                   {{{"scope", {{"name", "rad"}, {"version", kVersion}}}, {"spans", encoded}}}}}}}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace rad
