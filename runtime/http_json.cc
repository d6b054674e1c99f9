#include "runtime/http_json.h"

#include <google/protobuf/util/json_util.h>

#include <caf/sec.hpp>
#include <nlohmann/json.hpp>

#include "runtime/error.h"

namespace rad {

HttpResponse json_response(const google::protobuf::Message& message, int status) {
  HttpResponse response;
  response.status = status;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(message, &response.body, options).ok())
    return error_response(500, "cannot encode " + message.GetTypeName() + " as JSON");
  return response;
}

HttpResponse error_response(int status, const std::string& message) {
  return {status, nlohmann::json{{"error", message}}.dump(), "application/json"};
}

HttpResponse error_response(const caf::error& err) {
  int status = 500;
  if (is(err, Errc::invalid_input))
    status = 400;
  else if (is(err, Errc::not_found))
    status = 404;
  else if (is(err, Errc::in_use))
    status = 409;
  else if (is(err, Errc::unreachable) || is(err, Errc::unavailable))
    status = 503;
  else if (err == caf::sec::request_timeout)
    return error_response(504, "the node did not answer in time (it is busy); try again");
  return error_response(status, error_message(err));
}

}  // namespace rad
