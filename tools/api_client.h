// radctl's side of the coordinator's HTTP JSON API.
#pragma once

#include <google/protobuf/message.h>

#include <caf/expected.hpp>
#include <string>

namespace rad {

// GETs `path` from the API at `base_url` ("http://127.0.0.1:3000") and parses
// the JSON body into `out`. Errc::unreachable when nothing answers there.
caf::error api_get(const std::string& base_url, const std::string& path,
                   google::protobuf::Message& out);

}  // namespace rad
