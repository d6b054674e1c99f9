// JSON answers of the HTTP API: protobuf messages in their JSON mapping, and
// errors as {"error": "..."} with the status their kind calls for.
#pragma once

#include <google/protobuf/message.h>

#include <caf/error.hpp>

#include "runtime/http_server.h"

namespace rad {

// The JSON mapping of `message`, every field printed.
HttpResponse json_response(const google::protobuf::Message& message, int status = 200);

// {"error": message}.
HttpResponse error_response(int status, const std::string& message);

// 400 for invalid input, 404 not found, 409 in use, 503 unreachable or
// unavailable, 500 else.
HttpResponse error_response(const caf::error& err);

}  // namespace rad
