#include "chaos/fault_client.h"

#include <google/protobuf/util/json_util.h>

#include "client/api_client.h"

namespace rad {

caf::expected<v1::ChaosAck> post_fault(const std::string& node_http,
                                       const v1::ChaosCommand& command) {
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(command, &body);
  auto answer = api_request("POST", node_http, "/v1/chaos", body);
  if (!answer) return answer.error();
  v1::ChaosAck ack;
  if (auto err = parse_answer(*answer, node_http + "/v1/chaos", ack)) return err;
  return ack;
}

caf::error clear_faults(const std::string& node_http) {
  auto answer = api_request("POST", node_http, "/v1/chaos/clear");
  return answer ? caf::none : answer.error();
}

}  // namespace rad
