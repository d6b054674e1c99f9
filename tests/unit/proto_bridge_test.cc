// Protobuf messages through CAF's own serializer, as the middleman carries them.
#include "runtime/proto_bridge.h"

#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/make_message.hpp>

#include "rad/v1/cluster.pb.h"
#include "rad/v1/plan.pb.h"
#include "runtime/protocol.h"

namespace rad {
namespace {

class ProtoBridgeTest : public ::testing::Test {
 protected:
  ProtoBridgeTest() : system_(configure(config_)) {}

  static caf::actor_system_config& configure(caf::actor_system_config& cfg) {
    register_protocol(cfg);
    return cfg;
  }

  template <class T>
  std::vector<char> save(T& value) {
    std::vector<char> buf;
    caf::binary_serializer sink{system_, buf};
    EXPECT_FALSE(sink(value));
    return buf;
  }

  caf::actor_system_config config_;
  caf::actor_system system_;
};

v1::Plan big_plan(int stories) {
  v1::Plan plan;
  plan.set_name("big");
  auto* wave = plan.add_waves();
  wave->set_name("w");
  wave->set_max_concurrent(7);
  for (int i = 0; i < stories; ++i) {
    auto* s = wave->add_stories();
    s->set_id("s" + std::to_string(i));
    if (i > 0) s->add_depends_on("s" + std::to_string(i - 1));
    s->mutable_mock()->set_duration_ms(static_cast<uint64_t>(i));
    s->mutable_backoff()->set_multiplier(1.5);
  }
  return plan;
}

TEST_F(ProtoBridgeTest, ValueRoundTripsThroughBinarySerializer) {
  v1::Ping ping;
  ping.set_seq(42);
  ping.mutable_trace()->set_traceparent("00-0123456789abcdef0123456789abcdef-0123456789abcdef-01");
  Proto<v1::Ping> in{ping}, out;
  auto buf = save(in);
  caf::binary_deserializer source{system_, buf};
  ASSERT_FALSE(source(out));
  EXPECT_EQ(out.value.seq(), 42u);
  EXPECT_EQ(out.value.trace().traceparent(), ping.trace().traceparent());
  EXPECT_TRUE(in == out);
}

TEST_F(ProtoBridgeTest, TypeErasedMessageRoundTripsWithTypeName) {
  auto msg = caf::make_message(proto(big_plan(1000)));
  auto buf = save(msg);
  caf::message loaded;
  caf::binary_deserializer source{system_, buf};
  ASSERT_FALSE(source(loaded));
  ASSERT_TRUE(loaded.match_elements<Proto<v1::Plan>>());
  const auto& plan = loaded.get_as<Proto<v1::Plan>>(0).value;
  ASSERT_EQ(plan.waves(0).stories_size(), 1000);
  EXPECT_EQ(plan.waves(0).stories(999).depends_on(0), "s998");
  EXPECT_TRUE(loaded.get_as<Proto<v1::Plan>>(0) == Proto<v1::Plan>{big_plan(1000)});
}

TEST_F(ProtoBridgeTest, GarbageBytesAreAnErrorNotACrash) {
  // A string on the wire that is not a valid Ping: field 12 with wire type 7.
  std::string garbage = "garbage\xff\xff";
  auto buf = save(garbage);
  Proto<v1::Ping> out;
  caf::binary_deserializer source{system_, buf};
  EXPECT_TRUE(static_cast<bool>(source(out)));
}

TEST_F(ProtoBridgeTest, TruncatedBufferIsAnError) {
  Proto<v1::Plan> in{big_plan(10)}, out;
  auto buf = save(in);
  buf.resize(buf.size() / 2);
  caf::binary_deserializer source{system_, buf};
  EXPECT_TRUE(static_cast<bool>(source(out)));
}

TEST_F(ProtoBridgeTest, ToStringShowsFieldsNotBytes) {
  v1::Pong pong;
  pong.set_seq(7);
  pong.mutable_node()->set_name("n1");
  auto text = caf::to_string(caf::make_message(proto(pong)));
  EXPECT_NE(text.find("rad.v1.Pong("), std::string::npos) << text;
  EXPECT_NE(text.find("seq: 7 node { name: "), std::string::npos) << text;
}

}  // namespace
}  // namespace rad
