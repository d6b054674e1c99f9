// The SAX reader of the protobuf JSON mapping, against protobuf's own parser
// where both accept, and on every kind of refusal.
#include "runtime/json_proto_reader.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "rad/v1/chaos.pb.h"
#include "rad/v1/config.pb.h"
#include "rad/v1/plan.pb.h"

namespace rad {
namespace {

std::string file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Read by both parsers: the same message, or the same refusal.
template <class Message>
void same_as_protobuf(const std::string& text) {
  Message ours, theirs;
  auto problem = read_json_into(text, ours);
  google::protobuf::util::JsonParseOptions options;
  options.case_insensitive_enum_parsing = true;
  auto status = google::protobuf::util::JsonStringToMessage(text, &theirs, options);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(problem, "") << text;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(ours, theirs))
      << ours.ShortDebugString() << "\n"
      << theirs.ShortDebugString();
}

std::string problem_of(const std::string& text) {
  v1::Plan plan;
  return read_json_into(text, plan);
}

TEST(JsonProtoReader, ReadsWhatProtobufReads) {
  same_as_protobuf<v1::Plan>(file(std::string{RAD_SOURCE_DIR} + "/examples/demo-plan.json"));
  same_as_protobuf<v1::Plan>(file(std::string{RAD_FIXTURES} + "/plan.json"));
  same_as_protobuf<v1::Plan>(R"({"name":"p","labels":{"team":"a","b":""},"waves":[{"name":"w",
    "maxConcurrent":"7","stories":[
      {"id":"a","timeoutMs":"18446744073709551615","maxAttempts":3.0,"idempotent":false,
       "backoff":{"multiplier":1.5,"jitter":"0.25","initialMs":null},
       "mock":{"distribution":"uniform","failureRate":0,"seed":12}},
      {"id":"b","depends_on":["a"],"exec":{"argv":["true"],"env":{"K":"v"}}},
      {"id":"c","llm":{"model":"m","temperature":"-Infinity","max_tokens":5}},
      {"id":"d","mock":{"distribution":2}}]}]})");
  same_as_protobuf<v1::NodeConfig>(R"({"clusterPort":7070,"join":["a:1","b:2"],
    "agents":{"useReal":true,"timeout_ms":"90000"},"checkpoint":{"sync":"batch"}})");
}

TEST(JsonProtoReader, NullLeavesAFieldUnset) {
  v1::Plan plan;
  ASSERT_EQ(read_json_into(R"({"name":null,"waves":[{"stories":[{"id":"a","idempotent":null,
    "mock":null}]}]})",
                           plan),
            "");
  EXPECT_EQ(plan.name(), "");
  EXPECT_FALSE(plan.waves(0).stories(0).has_idempotent());
  EXPECT_FALSE(plan.waves(0).stories(0).has_mock());
}

TEST(JsonProtoReader, WrongTypesNameTheKeyAndWhatItTakes) {
  EXPECT_EQ(problem_of(R"({"name":5})"), "key 'name' expects a string, got 5");
  EXPECT_EQ(problem_of(R"({"name":{}})"), "key 'name' expects a string, got an object");
  EXPECT_EQ(problem_of(R"({"waves":{}})"), "key 'waves' expects a list, got an object");
  EXPECT_EQ(problem_of(R"({"waves":[5]})"), "key 'waves[0]' expects an object, got 5");
  EXPECT_EQ(problem_of(R"({"waves":[{"maxConcurrent":-1}]})"),
            "key 'waves[0].max_concurrent' expects an unsigned 32-bit integer, got -1");
  EXPECT_EQ(problem_of(R"({"waves":[{"maxConcurrent":4294967296}]})"),
            "key 'waves[0].max_concurrent' expects an unsigned 32-bit integer, got 4294967296");
  EXPECT_EQ(problem_of(R"({"waves":[{"maxConcurrent":"4294967296"}]})"),
            "key 'waves[0].max_concurrent' expects an unsigned 32-bit integer, got "
            "\"4294967296\"");
  EXPECT_EQ(problem_of(R"({"waves":[{"stories":[{"timeoutMs":1e20}]}]})"),
            "key 'waves[0].stories[0].timeout_ms' expects an unsigned 64-bit integer, got 1e+20");
  EXPECT_EQ(problem_of(R"({"waves":[{"stories":[{"timeoutMs":true}]}]})"),
            "key 'waves[0].stories[0].timeout_ms' expects an unsigned 64-bit integer, got true");
  EXPECT_EQ(problem_of(R"({"waves":[{"maxConcurrent":1.5}]})"),
            "key 'waves[0].max_concurrent' expects an unsigned 32-bit integer, got 1.5");
  EXPECT_EQ(problem_of(R"({"waves":[{"continueOnError":"yes"}]})"),
            "key 'waves[0].continue_on_error' expects true or false, got \"yes\"");
  EXPECT_EQ(problem_of(R"({"waves":[{"stories":[{"depends_on":[1]}]}]})"),
            "key 'waves[0].stories[0].depends_on[0]' expects a string, got 1");
  EXPECT_EQ(problem_of(R"({"waves":[{"stories":[{"mock":{"distribution":"LOGNORMAL"}}]}]})"),
            "key 'waves[0].stories[0].mock.distribution' expects one of FIXED, UNIFORM, "
            "EXPONENTIAL, got \"LOGNORMAL\"");
  EXPECT_EQ(problem_of(R"({"labels":{"a":1}})"), "key 'labels.a' expects a string, got 1");
  EXPECT_EQ(problem_of(R"({"labels":[]})"), "key 'labels' expects an object, got a list");
}

TEST(JsonProtoReader, AQuotedValueIsCutToABound) {
  auto problem =
      problem_of(R"({"waves":[{"continueOnError":")" + std::string(100000, 'x') + R"("}]})");
  EXPECT_LT(problem.size(), 200u) << problem;
  EXPECT_NE(problem.find("xxx...\""), std::string::npos) << problem;
}

TEST(JsonProtoReader, TwoFieldsOfOneOneofAreRefused) {
  EXPECT_EQ(problem_of(R"({"waves":[{"stories":[{"id":"a","mock":{},"exec":{"argv":["x"]}}]}]})"),
            "keys 'waves[0].stories[0].mock' and 'waves[0].stories[0].exec' exclude each other "
            "(one of driver): keep one");
}

TEST(JsonProtoReader, DuplicateAndUnknownKeysAreNamedWithTheirPath) {
  EXPECT_EQ(problem_of(R"({"waves":[{"name":"a","name":"b"}]})"), "duplicate key 'waves[0].name'");
  EXPECT_EQ(problem_of(R"({"labels":{"a":"x","a":"y"}})"), "duplicate key 'labels.a'");
  EXPECT_EQ(problem_of(R"({"waves":[{},{"maxConcurrent":1,"max_concurrent":2}]})"),
            "duplicate key 'waves[1].max_concurrent'")
      << "one field by its two names";
  EXPECT_EQ(problem_of(R"({"waves":[{"stories":[{},{},{"mock":{"seed":"x"}}]}]})"),
            "key 'waves[0].stories[2].mock.seed' expects an unsigned 64-bit integer, got \"x\"");
  EXPECT_EQ(problem_of(R"({"waves":[{"stories":[{"mock":{"durationMS":1}}]}]})"),
            "unknown key 'waves[0].stories[0].mock.durationMS'")
      << "the JSON name is durationMs";
}

TEST(JsonProtoReader, OnlyAnObjectAtTheTopAndOnlyJson) {
  EXPECT_EQ(problem_of("[1]"), "expected a JSON object at the top level");
  EXPECT_EQ(problem_of("5"), "expected a JSON object at the top level");
  EXPECT_EQ(problem_of(R"({"name":"a")"),
            "parse error at line 1, column 12: syntax error while parsing object - unexpected "
            "end of input; expected '}'");
  EXPECT_NE(problem_of("{\"name\":\"\xff\"}").find("UTF-8"), std::string::npos)
      << problem_of("{\"name\":\"\xff\"}");
}

}  // namespace
}  // namespace rad
