#include "actors/node_agent.h"

#include "runtime/logging.h"
#include "runtime/proto_bridge.h"
#include "runtime/trace.h"

namespace rad {

caf::behavior node_agent(caf::stateful_actor<NodeAgentState>* self, v1::NodeInfo info) {
  self->state.info = std::move(info);
  return {
      [=](const Proto<v1::Ping>& ping) {
        TraceScope scope{ping.value.trace().traceparent()};
        ++self->state.pings;
        static auto log = logger("node_agent");
        log->debug("ping {} answered", ping.value.seq());
        v1::Pong pong;
        pong.set_seq(ping.value.seq());
        *pong.mutable_node() = self->state.info;
        pong.mutable_trace()->set_traceparent(child_traceparent(ping.value.trace().traceparent()));
        return proto(std::move(pong));
      },
  };
}

}  // namespace rad
