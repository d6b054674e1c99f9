#include "tools/api_client.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "runtime/error.h"

namespace rad {

caf::error api_get(const std::string& base_url, const std::string& path,
                   google::protobuf::Message& out) {
  httplib::Client client{base_url};
  if (!client.is_valid())
    return make_error(Errc::invalid_input,
                      "'" + base_url + "' is not an http:// URL; set --api or RAD_API");
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(10, 0);
  auto res = client.Get(path.c_str());
  if (!res)
    return make_error(Errc::unreachable, "cannot reach the cluster at " + base_url + ": " +
                                             httplib::to_string(res.error()) +
                                             "; is the coordinator running? set --api or RAD_API");
  if (res->status != 200)
    return make_error(Errc::unreachable, base_url + path + " answered " +
                                             std::to_string(res->status) + ": " + res->body);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer coordinator may say more
  auto status = google::protobuf::util::JsonStringToMessage(res->body, &out, options);
  if (!status.ok())
    return make_error(
        Errc::protocol_error,
        base_url + path + " answered what radctl cannot read: " + std::string{status.message()});
  return caf::none;
}

}  // namespace rad
