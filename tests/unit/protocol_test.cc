#include "runtime/protocol.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <set>

#include "rad/v1/cluster.pb.h"
#include "rad/v1/config.pb.h"
#include "rad/v1/trace.pb.h"

namespace rad {
namespace {

// Every top-level message of the wire files is registered: a message added to
// the schema and forgotten in protocol.cc fails here, not on a remote node.
TEST(Protocol, RegistersEveryTopLevelMessageOfTheWireFiles) {
  const auto& names = protocol_message_names();
  std::set<std::string> registered(names.begin(), names.end());
  EXPECT_EQ(registered.size(), names.size()) << "a type is registered twice";
  auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const char* file : {"rad/v1/plan.proto", "rad/v1/run.proto", "rad/v1/cluster.proto",
                           "rad/v1/chaos.proto", "rad/v1/audit.proto", "rad/v1/trace.proto"}) {
    auto* fd = pool->FindFileByName(file);
    ASSERT_NE(fd, nullptr) << file;
    for (int i = 0; i < fd->message_type_count(); ++i)
      EXPECT_TRUE(registered.count(fd->message_type(i)->full_name()))
          << fd->message_type(i)->full_name() << " is not in runtime/protocol.cc";
  }
}

// Every message a node sends another on its own carries a W3C trace context.
TEST(Protocol, EveryEnvelopeBetweenNodesCarriesATraceContext) {
  for (const auto* d :
       {v1::Ping::descriptor(), v1::Pong::descriptor(), v1::Heartbeat::descriptor(),
        v1::JoinRequest::descriptor(), v1::JoinReply::descriptor(), v1::LeaveNotice::descriptor(),
        v1::MembershipView::descriptor(), v1::SpawnBatch::descriptor(),
        v1::SpawnReply::descriptor(), v1::ResultBatch::descriptor(),
        v1::CancelRequest::descriptor(), v1::AgentReport::descriptor()}) {
    auto* field = d->FindFieldByName("trace");
    ASSERT_NE(field, nullptr) << d->full_name();
    EXPECT_EQ(field->message_type(), v1::TraceContext::descriptor()) << d->full_name();
  }
}

TEST(Protocol, NodeConfigStaysOffTheWire) {
  // Configs hold secrets: they are never a cluster message.
  const auto& names = protocol_message_names();
  EXPECT_EQ(std::count(names.begin(), names.end(), v1::NodeConfig::descriptor()->full_name()), 0);
}

}  // namespace
}  // namespace rad
