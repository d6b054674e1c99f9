#include "runtime/proto_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>
#include <vector>

#include "runtime/error.h"
#include "runtime/json_proto_reader.h"

namespace rad {
namespace {

using nlohmann::json;

// Deeper nesting than any rad message needs; bounds recursion on hostile input.
constexpr int kMaxDepth = 64;

caf::error bad(std::string_view source, const std::string& what) {
  return make_error(Errc::invalid_input, std::string{source} + ": " + what);
}

// YAML scalars carry no type; plain (unquoted) ones are read as the YAML 1.2
// core schema reads them, quoted ones stay strings.
json yaml_scalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;
  static const std::regex null_re{"~|null|Null|NULL|"};
  static const std::regex true_re{"true|True|TRUE"};
  static const std::regex false_re{"false|False|FALSE"};
  static const std::regex int_re{"[-+]?[0-9]+"};
  static const std::regex float_re{"[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"};
  if (std::regex_match(s, null_re)) return nullptr;
  if (std::regex_match(s, true_re)) return true;
  if (std::regex_match(s, false_re)) return false;
  try {
    if (std::regex_match(s, int_re))
      return s[0] == '-' ? json(std::stoll(s)) : json(std::stoull(s[0] == '+' ? s.substr(1) : s));
    if (std::regex_match(s, float_re)) return std::stod(s);
  } catch (const std::out_of_range&) {
    // Too large for a native number: protobuf reports it against the field.
  }
  return s;
}

json yaml_to_json(const YAML::Node& node, int depth) {
  if (depth > kMaxDepth) throw std::length_error("nesting deeper than 64 levels");
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        auto key = kv.first.Scalar();
        if (out.contains(key)) throw std::invalid_argument("duplicate key '" + key + "'");
        out[key] = yaml_to_json(kv.second, depth + 1);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item, depth + 1));
      return out;
    }
    case YAML::NodeType::Scalar:
      return yaml_scalar(node);
    default:
      return nullptr;
  }
}

caf::error parse_json_into(std::string_view text, std::string_view source,
                           google::protobuf::Message& out) {
  out.Clear();
  if (auto problem = read_json_into(text, out); !problem.empty()) return bad(source, problem);
  return caf::none;
}

}  // namespace

FileFormat format_of(std::string_view path) {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  return ends_with(".yaml") || ends_with(".yml") ? FileFormat::yaml : FileFormat::json;
}

caf::error parse_proto_text(std::string_view text, FileFormat format, std::string_view source,
                            google::protobuf::Message& out) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return bad(source, "is empty");
  if (format == FileFormat::json) {
    return parse_json_into(text, source, out);
  }
  json doc;
  try {
    doc = yaml_to_json(YAML::Load(std::string{text}), 0);
  } catch (const YAML::Exception& e) {
    return bad(source, "line " + std::to_string(e.mark.line + 1) + ", column " +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return bad(source, e.what());
  }
  if (!doc.is_object()) return bad(source, "expected a mapping at the top level");
  return parse_json_into(doc.dump(), source, out);
}

caf::error read_bounded_file(const std::string& path, size_t max_bytes, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return bad(path, std::string{"cannot open: "} + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return bad(path, std::string{"cannot stat: "} + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return bad(path, "is not a regular file");
  if (static_cast<size_t>(st.st_size) > max_bytes)
    return bad(path, "is " + std::to_string(st.st_size) + " bytes, over the limit of " +
                         std::to_string(max_bytes));
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    auto n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return bad(path, std::string{"cannot read: "} + std::strerror(errno));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return caf::none;
}

caf::error load_proto_file(const std::string& path, size_t max_bytes,
                           google::protobuf::Message& out) {
  std::string text;
  if (auto err = read_bounded_file(path, max_bytes, text)) return err;
  return parse_proto_text(text, format_of(path), path, out);
}

}  // namespace rad
