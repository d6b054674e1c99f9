// Spans: their ids and sampling, the log record, the store behind radctl
// trace, the OTLP JSON encoding and the tree radctl prints.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "client/span_tree.h"
#include "runtime/logging.h"
#include "runtime/otlp_json.h"
#include "runtime/span.h"
#include "runtime/span_store.h"
#include "runtime/trace.h"

namespace rad {
namespace {

v1::Span span_of(std::string trace, std::string id, std::string parent, std::string name,
                 std::string node, uint64_t start_ms, uint64_t end_ms) {
  v1::Span s;
  s.set_trace_id(std::move(trace));
  s.set_span_id(std::move(id));
  s.set_parent_span_id(std::move(parent));
  s.set_name(std::move(name));
  s.set_node(std::move(node));
  s.set_start_unix_nano(start_ms * 1000000);
  s.set_end_unix_nano(end_ms * 1000000);
  return s;
}

TEST(Tracing, SampledFlagIsSetByTheStarterAndInherited) {
  auto off = new_traceparent(false), on = new_traceparent(true);
  EXPECT_FALSE(sampled(off));
  EXPECT_TRUE(sampled(on));
  EXPECT_FALSE(sampled(child_traceparent(off))) << "callees follow the caller's decision";
  EXPECT_TRUE(sampled(child_traceparent(on)));
  EXPECT_FALSE(sampled("junk"));
  auto made = make_traceparent(trace_id_of(on), span_id_of(on), false);
  EXPECT_TRUE(valid_traceparent(made)) << made;
  EXPECT_FALSE(sampled(made));
  EXPECT_EQ(span_id_of(made), on.substr(36, 16));
}

TEST(Tracing, SpanOfAnUnsampledParentRecordsNothing) {
  ActiveSpan span{"run", new_traceparent(false)};
  EXPECT_FALSE(span.active());
  EXPECT_EQ(span.traceparent(), "");
  span.attr("story.id", "a");
  EXPECT_FALSE(span.finish().has_value());
}

TEST(Tracing, SpanIsAChildOfItsParentAndCarriesItsAttributes) {
  auto parent = new_traceparent(true);
  ActiveSpan span{"spawn", parent};
  ASSERT_TRUE(span.active());
  EXPECT_EQ(trace_id_of(span.traceparent()), trace_id_of(parent));
  EXPECT_TRUE(sampled(span.traceparent()));
  span.attr("story.id", "a").attr("attempt", int64_t{2});
  auto done = span.finish();
  ASSERT_TRUE(done);
  EXPECT_EQ(done->name(), "spawn");
  EXPECT_EQ(done->trace_id(), trace_id_of(parent));
  EXPECT_EQ(done->parent_span_id(), span_id_of(parent));
  EXPECT_EQ(done->span_id(), span_id_of(span.traceparent()));
  EXPECT_GE(done->end_unix_nano(), done->start_unix_nano());
  ASSERT_EQ(done->attributes_size(), 2);
  EXPECT_EQ(done->attributes(0).string_value(), "a");
  EXPECT_EQ(done->attributes(1).int_value(), 2);
  EXPECT_FALSE(span.finish()) << "finished once";

  auto root = ActiveSpan::root("submit", true).finish();
  ASSERT_TRUE(root);
  EXPECT_EQ(root->parent_span_id(), "") << "a root has no parent";
  EXPECT_FALSE(ActiveSpan::root("submit", false).active());
}

TEST(Tracing, SpanRecordCarriesTheSpanAsJsonFields) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(make_json_formatter("w1"));
  auto log = logger("trace");
  auto before = log->sinks();
  log->sinks() = {sink};
  auto s = span_of("0123456789abcdef0123456789abcdef", "1111111111111111", "2222222222222222",
                   "run", "w1", 1000, 1012);
  auto* a = s.add_attributes();
  a->set_key("story.id");
  a->set_string_value("a");
  a = s.add_attributes();
  a->set_key("attempt");
  a->set_int_value(1);
  log_span(s);
  log->sinks() = before;
  auto record = nlohmann::json::parse(out.str());
  EXPECT_EQ(record["component"], "trace");
  EXPECT_EQ(record["msg"], "span run");
  EXPECT_EQ(record["node"], "w1");
  EXPECT_EQ(record["trace_id"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(record["span_id"], "1111111111111111");
  EXPECT_EQ(record["parent_span_id"], "2222222222222222");
  EXPECT_DOUBLE_EQ(record["duration_ms"].get<double>(), 12.0);
  EXPECT_EQ(record["story.id"], "a");
  EXPECT_EQ(record["attempt"], 1);
}

TEST(Tracing, StoreForgetsTheOldestTraceAndKeepsASpanOnce) {
  SpanStore store{2, 3};
  store.add(span_of("t1", "a", "", "submit", "c", 1, 2));
  store.add(span_of("t1", "a", "", "submit", "c", 1, 2));  // again, from a result
  store.add(span_of("t1", "b", "a", "schedule", "c", 1, 2));
  EXPECT_EQ(store.spans_of("t1").size(), 2u);
  store.add(span_of("t1", "c", "a", "x", "c", 1, 2));
  store.add(span_of("t1", "d", "a", "y", "c", 1, 2));
  EXPECT_EQ(store.spans_of("t1").size(), 3u) << "at most 3 per trace";
  store.add(span_of("t2", "e", "", "submit", "c", 1, 2));
  store.add(span_of("t3", "f", "", "submit", "c", 1, 2));
  EXPECT_TRUE(store.spans_of("t1").empty()) << "the oldest trace goes first";
  EXPECT_EQ(store.spans_of("t3").size(), 1u);
  EXPECT_TRUE(store.spans_of("unknown").empty());
}

TEST(Tracing, OtlpJsonHasTheShapeCollectorsRead) {
  auto s = span_of("0123456789abcdef0123456789abcdef", "1111111111111111", "", "submit", "coord",
                   1000, 1001);
  auto* a = s.add_attributes();
  a->set_key("stories");
  a->set_int_value(7);
  auto body = nlohmann::json::parse(otlp_json({s}, "coord"));
  const auto& rs = body["resourceSpans"][0];
  bool service = false, node = false;
  for (const auto& attr : rs["resource"]["attributes"]) {
    service |= attr["key"] == "service.name" && attr["value"]["stringValue"] == "rad";
    node |= attr["key"] == "service.instance.id" && attr["value"]["stringValue"] == "coord";
  }
  EXPECT_TRUE(service && node) << rs["resource"].dump();
  const auto& span = rs["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(span["traceId"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(span["spanId"], "1111111111111111");
  EXPECT_FALSE(span.contains("parentSpanId")) << "a root has none";
  EXPECT_EQ(span["startTimeUnixNano"], "1000000000");
  EXPECT_EQ(span["endTimeUnixNano"], "1001000000");
  EXPECT_EQ(span["attributes"][0]["value"]["intValue"], "7");
}

TEST(Tracing, TreeIndentsChildrenUnderParentsInStartOrder) {
  v1::SpanList list;
  *list.add_spans() = span_of("t", "r", "x", "result", "coord", 30, 31);
  *list.add_spans() = span_of("t", "s", "", "submit", "coord", 0, 2);
  *list.add_spans() = span_of("t", "p", "h", "spawn", "w1", 11, 12);
  *list.add_spans() = span_of("t", "h", "s", "schedule", "coord", 10, 11);
  *list.add_spans() = span_of("t", "x", "p", "run", "w1", 12, 30);
  auto text = render_span_tree(list);
  std::istringstream lines{text};
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  ASSERT_EQ(got.size(), 5u) << text;
  EXPECT_EQ(got[0].rfind("submit ", 0), 0u) << text;
  EXPECT_EQ(got[1].rfind("  schedule ", 0), 0u) << text;
  EXPECT_EQ(got[2].rfind("    spawn ", 0), 0u) << text;
  EXPECT_EQ(got[3].rfind("      run ", 0), 0u) << text;
  EXPECT_EQ(got[4].rfind("        result ", 0), 0u) << text;
  EXPECT_NE(got[2].find("w1"), std::string::npos) << text;
  EXPECT_NE(got[3].find("18.000 ms"), std::string::npos) << "run's duration: " << got[3];
}

}  // namespace
}  // namespace rad
