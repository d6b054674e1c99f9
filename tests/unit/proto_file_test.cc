#include "runtime/proto_file.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "harness/process.h"
#include "rad/v1/config.pb.h"
#include "rad/v1/plan.pb.h"
#include "runtime/error.h"

namespace rad {
namespace {

std::string fixture(const std::string& name) { return std::string{RAD_FIXTURES} + "/" + name; }

std::string parse_error(std::string_view text, FileFormat format = FileFormat::json) {
  v1::Plan plan;
  auto err = parse_proto_text(text, format, "p.json", plan);
  EXPECT_TRUE(is(err, Errc::invalid_input)) << error_message(err);
  return error_message(err);
}

TEST(ProtoFile, JsonPlanOfTheIssueParses) {
  v1::Plan plan;
  ASSERT_FALSE(load_proto_file(fixture("plan.json"), 1 << 20, plan));
  ASSERT_EQ(plan.waves_size(), 2);
  const auto& b = plan.waves(0).stories(1);
  EXPECT_EQ(b.depends_on(0), "a");
  EXPECT_EQ(b.exec().argv(0), "true");
  EXPECT_EQ(b.postconditions(0).argv_size(), 3);
  EXPECT_EQ(plan.waves(0).stories(0).mock().distribution(), v1::MockDriver::EXPONENTIAL);
  EXPECT_TRUE(plan.waves(1).continue_on_error());
  EXPECT_EQ(plan.waves(1).stories(0).depends_on(0), "b");  // snake_case keys work too
}

TEST(ProtoFile, YamlPlanEqualsJsonPlan) {
  v1::Plan from_json, from_yaml;
  ASSERT_FALSE(load_proto_file(fixture("plan.json"), 1 << 20, from_json));
  auto err = load_proto_file(fixture("plan.yaml"), 1 << 20, from_yaml);
  ASSERT_FALSE(err) << error_message(err);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(from_json, from_yaml))
      << from_json.ShortDebugString() << "\n"
      << from_yaml.ShortDebugString();
}

TEST(ProtoFile, UnknownKeyIsNamedWithItsPath) {
  EXPECT_EQ(parse_error(R"({"waves":[{"stories":[{"id":"a","colour":1}]}]})"),
            "p.json: unknown key 'waves[0].stories[0].colour'");
  EXPECT_EQ(parse_error(R"({"nmae":"x"})"), "p.json: unknown key 'nmae'");
}

TEST(ProtoFile, WrongTypeNamesKeyAndExpectation) {
  EXPECT_EQ(
      parse_error(R"({"waves":[{"maxConcurrent":"lots"}]})"),
      "p.json: key 'waves[0].max_concurrent' expects an unsigned 32-bit integer, got \"lots\"");
  EXPECT_NE(parse_error(R"({"waves":[{"maxConcurrent":-1}]})").find("unsigned"), std::string::npos);
}

TEST(ProtoFile, SyntaxErrorGivesLineAndColumn) {
  auto msg = parse_error("{\n  \"name\": \"x\",\n}");
  EXPECT_NE(msg.find("line 3, column 1"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line";
  auto yaml = parse_error("name: [unclosed\n", FileFormat::yaml);
  EXPECT_NE(yaml.find("line "), std::string::npos) << yaml;
}

TEST(ProtoFile, DuplicateKeyIsRejected) {
  EXPECT_EQ(parse_error(R"({"name":"a","name":"b"})"), "p.json: duplicate key 'name'");
  EXPECT_EQ(parse_error("name: a\nname: b\n", FileFormat::yaml), "p.json: duplicate key 'name'");
}

TEST(ProtoFile, EmptyAndNonObjectInputsAreRejected) {
  EXPECT_EQ(parse_error("  \n"), "p.json: is empty");
  EXPECT_EQ(parse_error("[1,2]"), "p.json: expected a JSON object at the top level");
  EXPECT_EQ(parse_error("- a\n- b\n", FileFormat::yaml),
            "p.json: expected a mapping at the top level");
}

TEST(ProtoFile, HostileNestingIsBounded) {
  // Nesting stops at the first level the plan does not have.
  std::string deep(1000000, '[');
  EXPECT_EQ(parse_error("{\"name\":" + deep), "p.json: key 'name' expects a string, got a list");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"waves\":[";
  EXPECT_EQ(parse_error(objects), "p.json: unknown key 'waves[0].waves'");
}

TEST(ProtoFile, FileLimitsAndMissingFiles) {
  TempDir dir;
  auto big = dir.file("big.json", "{\"name\":\"" + std::string(2000, 'x') + "\"}");
  v1::Plan plan;
  auto err = load_proto_file(big, 1000, plan);
  EXPECT_NE(error_message(err).find("over the limit of 1000"), std::string::npos)
      << error_message(err);
  err = load_proto_file(dir.path() + "/missing.json", 1000, plan);
  EXPECT_EQ(error_message(err),
            dir.path() + "/missing.json: cannot open: No such file or directory");
  err = load_proto_file(dir.path(), 1000, plan);
  EXPECT_EQ(error_message(err), dir.path() + ": is not a regular file");
}

}  // namespace
}  // namespace rad
