// Reads protobuf messages from the files users write: plans, configs, chaos
// scenarios. Either the protobuf JSON mapping of the message, or YAML with the
// same fields. Every problem is one line naming the source and the key.
#pragma once

#include <google/protobuf/message.h>

#include <caf/error.hpp>
#include <cstddef>
#include <string>
#include <string_view>

namespace rad {

enum class FileFormat { json, yaml };

// YAML for *.yaml and *.yml, JSON otherwise.
FileFormat format_of(std::string_view path);

// Parses `text` into `out` (cleared first). `source` names the input in errors,
// e.g. "plan.json". Rejects syntax errors, duplicate and unknown keys, and
// values of the wrong type.
caf::error parse_proto_text(std::string_view text, FileFormat format, std::string_view source,
                            google::protobuf::Message& out);

// Reads a regular file of at most `max_bytes` and parses it by its extension.
caf::error load_proto_file(const std::string& path, size_t max_bytes,
                           google::protobuf::Message& out);

// Reads a regular file of at most `max_bytes` into `out`.
caf::error read_bounded_file(const std::string& path, size_t max_bytes, std::string& out);

}  // namespace rad
