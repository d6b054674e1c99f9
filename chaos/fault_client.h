// The runner's side of a node's fault API (chaos.enabled on the node):
//   POST /v1/chaos        a ChaosCommand as JSON -> ChaosAck {node, applied}
//                         (403 chaos disabled, 400 a command it cannot apply)
//   POST /v1/chaos/clear  ends every fault on that node
// A node acts on itself only: the runner resolves targets and posts to each.
#pragma once

#include <caf/expected.hpp>
#include <string>

#include "rad/v1/chaos.pb.h"

namespace rad {

// `node_http`: the node's HTTP base URL, "http://127.0.0.1:3001".
caf::expected<v1::ChaosAck> post_fault(const std::string& node_http,
                                       const v1::ChaosCommand& command);

caf::error clear_faults(const std::string& node_http);

}  // namespace rad
