#include "runtime/trace.h"

#include <gtest/gtest.h>

#include <set>

namespace rad {
namespace {

TEST(Trace, NewTraceparentIsValidW3C) {
  auto t = new_traceparent();
  EXPECT_TRUE(valid_traceparent(t)) << t;
  EXPECT_EQ(t.size(), 55u);
  EXPECT_EQ(t.substr(0, 3), "00-");
  EXPECT_EQ(t.substr(52), "-01");
}

TEST(Trace, ChildKeepsTraceIdWithNewSpan) {
  auto parent = new_traceparent();
  auto child = child_traceparent(parent);
  EXPECT_EQ(trace_id_of(child), trace_id_of(parent));
  EXPECT_NE(child.substr(36, 16), parent.substr(36, 16));
}

TEST(Trace, RejectsMalformedAndZeroIds) {
  EXPECT_FALSE(valid_traceparent(""));
  EXPECT_FALSE(valid_traceparent("00-00000000000000000000000000000000-0123456789abcdef-01"));
  EXPECT_FALSE(valid_traceparent("00-0123456789abcdef0123456789abcdef-0000000000000000-01"));
  EXPECT_FALSE(valid_traceparent("00-0123456789ABCDEF0123456789abcdef-0123456789abcdef-01"));
  EXPECT_EQ(trace_id_of("junk"), "");
  // A child of garbage starts a new trace rather than propagating garbage.
  EXPECT_TRUE(valid_traceparent(child_traceparent("junk")));
}

TEST(Trace, IdsDoNotRepeat) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(trace_id_of(new_traceparent()));
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace rad
