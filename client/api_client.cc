#include "client/api_client.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "rad/v1/run.pb.h"
#include "runtime/error.h"

namespace rad {
namespace {

// The API's {"error": "..."}, or the raw body when it is not that. A refused
// plan's problems (PlanProblems) come one per line, as `radctl validate` lists them.
std::string error_text(const std::string& body) {
  v1::PlanProblems refused;
  if (!parse_answer(body, "", refused) && refused.problems_size() > 0) {
    // "plan 'p' has 2 problems: a; b" -> "plan 'p' has 2 problems:", then one a line.
    const auto& error = refused.error();
    auto list = error.find(refused.problems_size() == 1 ? " problem: " : " problems: ");
    auto text = list == std::string::npos ? error : error.substr(0, error.find(':', list) + 1);
    for (const auto& p : refused.problems())
      text += "\n  " + (p.path().empty() ? std::string{"plan"} : p.path()) + ": " + p.reason();
    return text;
  }
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("error") && json["error"].is_string())
    return json["error"].get<std::string>();
  return body.substr(0, 200);
}

}  // namespace

caf::expected<std::string> api_request(
    const std::string& method, const std::string& base_url, const std::string& path,
    const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
  httplib::Client client{base_url};
  if (!client.is_valid())
    return make_error(Errc::invalid_input,
                      "'" + base_url + "' is not an http:// URL; set --api or RAD_API");
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(60, 0);
  httplib::Headers sent{headers.begin(), headers.end()};
  auto res = method == "POST" ? client.Post(path.c_str(), sent, body, "application/json")
                              : client.Get(path.c_str(), sent);
  if (!res)
    return make_error(Errc::unreachable, "cannot reach the cluster at " + base_url + ": " +
                                             httplib::to_string(res.error()) +
                                             "; is the coordinator running? set --api or RAD_API");
  if (res->status >= 200 && res->status < 300) return res->body;
  auto why = error_text(res->body);
  if (why.empty()) why = method + " " + path + " answered " + std::to_string(res->status);
  // 403: a setting of the node refuses it (chaos disabled): the user changes it.
  if (res->status == 400 || res->status == 403 || res->status == 413)
    return make_error(Errc::invalid_input, why);
  if (res->status == 404) return make_error(Errc::not_found, why);
  // In conflict with what is there (an idempotency key used for another plan).
  if (res->status == 409) return make_error(Errc::in_use, why);
  // The node answers but cannot take this now (e.g. its store is full): its one line says why.
  if (res->status == 503) return make_error(Errc::unavailable, why);
  return make_error(Errc::unreachable,
                    base_url + path + " answered " + std::to_string(res->status) + ": " + why);
}

caf::error parse_answer(const std::string& body, const std::string& what,
                        google::protobuf::Message& out) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer coordinator may say more
  auto status = google::protobuf::util::JsonStringToMessage(body, &out, options);
  if (!status.ok())
    return make_error(Errc::protocol_error,
                      what + " answered what radctl cannot read: " + std::string{status.message()});
  return caf::none;
}

caf::error api_get(const std::string& base_url, const std::string& path,
                   google::protobuf::Message& out) {
  auto body = api_request("GET", base_url, path);
  if (!body) return body.error();
  return parse_answer(*body, base_url + path, out);
}

}  // namespace rad
