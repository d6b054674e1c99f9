#include "runtime/logging.h"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

#include <nlohmann/json.hpp>

#include "runtime/trace.h"

namespace rad {
namespace {

std::string format(spdlog::formatter& f, std::string_view component, std::string_view text,
                   spdlog::level::level_enum level = spdlog::level::info) {
  spdlog::details::log_msg msg{spdlog::string_view_t{component.data(), component.size()}, level,
                               spdlog::string_view_t{text.data(), text.size()}};
  spdlog::memory_buf_t buf;
  f.format(msg, buf);
  return std::string(buf.data(), buf.size());
}

TEST(Logging, JsonRecordCarriesTheRequiredFields) {
  auto f = make_json_formatter("n1");
  auto line = format(*f, "membership", "node \"x\" joined\nsecond line", spdlog::level::warn);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << "one record, one line";
  auto record = nlohmann::json::parse(line);
  EXPECT_EQ(record["level"], "warning");
  EXPECT_EQ(record["node"], "n1");
  EXPECT_EQ(record["component"], "membership");
  EXPECT_EQ(record["msg"], "node \"x\" joined\nsecond line");
  EXPECT_FALSE(record.contains("trace_id"));
  std::string ts = record["ts"];
  EXPECT_EQ(ts.size(), 24u) << ts;  // 2026-11-25T10:00:00.123Z
  EXPECT_EQ(ts.back(), 'Z');
}

TEST(Logging, TraceScopeAddsTraceIdAndNests) {
  auto f = make_json_formatter("n1");
  auto outer = new_traceparent(), inner = new_traceparent();
  {
    TraceScope a{outer};
    {
      TraceScope b{inner};
      EXPECT_EQ(nlohmann::json::parse(format(*f, "c", "m"))["trace_id"], trace_id_of(inner));
    }
    EXPECT_EQ(nlohmann::json::parse(format(*f, "c", "m"))["trace_id"], trace_id_of(outer));
  }
  EXPECT_FALSE(nlohmann::json::parse(format(*f, "c", "m")).contains("trace_id"));
}

TEST(Logging, InvalidUtf8DoesNotBreakTheRecord) {
  auto f = make_json_formatter("n1");
  auto line = format(*f, "c", "bad \xff\xfe bytes");
  EXPECT_NO_THROW(nlohmann::json::parse(line)) << line;
}

TEST(Logging, TextRecordIsReadable) {
  auto f = make_text_formatter("n1");
  TraceScope scope{"00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"};
  auto line = format(*f, "node", "ready");
  EXPECT_NE(line.find(" info  [n1/node] ready trace=0123456789abcdef0123456789abcdef\n"),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace rad
