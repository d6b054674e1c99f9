// radctl's side of the coordinator's HTTP JSON API. Errors carry the API's own
// message: invalid_input (400, 403, 413), not_found (404), in_use (409),
// unavailable (503: the node answered that it cannot take this now),
// unreachable (no answer, other 5xx: whether it was done is not known).
#pragma once

#include <google/protobuf/message.h>

#include <caf/expected.hpp>
#include <string>
#include <utility>
#include <vector>

namespace rad {

// Sends METHOD `path` (with `body` as JSON, if any, and `headers`) to the API
// at `base_url` ("http://127.0.0.1:3000"); the body of a 2xx answer.
caf::expected<std::string> api_request(
    const std::string& method, const std::string& base_url, const std::string& path,
    const std::string& body = {},
    const std::vector<std::pair<std::string, std::string>>& headers = {});

// GETs `path` and parses the JSON answer into `out`.
caf::error api_get(const std::string& base_url, const std::string& path,
                   google::protobuf::Message& out);

// Parses an answer of the API into `out`; `what` names it in errors.
caf::error parse_answer(const std::string& body, const std::string& what,
                        google::protobuf::Message& out);

}  // namespace rad
