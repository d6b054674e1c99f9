// The last word of a protobuf enum value's name, in lower case, as people read
// it: MEMBER_STATE_UP -> "up", RUN_STATE_SUCCEEDED -> "succeeded", ROLE_ALL -> "all".
#pragma once

#include <cctype>
#include <string>

namespace rad {

inline std::string enum_word(const std::string& enum_name) {
  auto word = enum_name.substr(enum_name.rfind('_') + 1);
  for (auto& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word;
}

// The name without `prefix`, in lower case: OUTCOME_TIMED_OUT, "OUTCOME_" -> "timed_out".
inline std::string enum_rest(const std::string& enum_name, const std::string& prefix) {
  auto rest = enum_name.rfind(prefix, 0) == 0 ? enum_name.substr(prefix.size()) : enum_name;
  for (auto& c : rest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return rest;
}

}  // namespace rad
