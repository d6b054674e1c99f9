#include "runtime/proto_file.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <vector>

#include "runtime/error.h"

namespace rad {
namespace {

using nlohmann::json;

// Deeper nesting than any rad message needs; bounds recursion on hostile input.
constexpr int kMaxDepth = 64;

caf::error bad(std::string_view source, const std::string& what) {
  return make_error(Errc::invalid_input, std::string{source} + ": " + what);
}

std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Syntax check with positions, duplicate keys (which protobuf's parser
// silently resolves to the last one) and nesting depth, in one SAX pass: no
// document is built, so the cost is linear in the text.
class JsonChecker : public nlohmann::json_sax<json> {
 public:
  std::string problem;

  bool null() override { return value(false); }
  bool boolean(bool) override { return value(false); }
  bool number_integer(number_integer_t) override { return value(false); }
  bool number_unsigned(number_unsigned_t) override { return value(false); }
  bool number_float(number_float_t, const string_t&) override { return value(false); }
  bool string(string_t&) override { return value(false); }
  bool binary(binary_t&) override { return value(false); }
  bool start_object(std::size_t) override {
    if (!value(true)) return false;
    keys_.emplace_back();
    return deeper();
  }
  bool key(string_t& k) override {
    if (keys_.back().insert(k).second) return true;
    problem = "duplicate key '" + k + "'";
    return false;
  }
  bool end_object() override {
    keys_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return value(false) && deeper(); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    problem = one_line(what);
    return false;
  }

 private:
  // The document itself must be an object.
  bool value(bool is_object) {
    if (depth_ > 0 || is_object) return true;
    problem = "expected a JSON object at the top level";
    return false;
  }
  bool deeper() {
    if (++depth_ <= kMaxDepth) return true;
    problem = "nesting deeper than 64 levels";
    return false;
  }

  std::vector<std::set<std::string>> keys_;
  int depth_ = 0;
};

caf::error check_json_syntax(std::string_view text, std::string_view source) {
  JsonChecker checker;
  if (!json::sax_parse(text.begin(), text.end(), &checker) || !checker.problem.empty())
    return bad(source, checker.problem.empty() ? "not valid JSON" : checker.problem);
  return caf::none;
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

const char* expected_type(const std::string& protobuf_type) {
  if (protobuf_type == "TYPE_INT32") return "a 32-bit integer";
  if (protobuf_type == "TYPE_UINT32") return "an unsigned 32-bit integer";
  if (protobuf_type == "TYPE_INT64") return "a 64-bit integer";
  if (protobuf_type == "TYPE_UINT64") return "an unsigned 64-bit integer";
  if (protobuf_type == "TYPE_BOOL") return "true or false";
  if (protobuf_type == "TYPE_STRING") return "a string";
  if (protobuf_type == "TYPE_DOUBLE" || protobuf_type == "TYPE_FLOAT") return "a number";
  if (protobuf_type == "TYPE_ENUM") return "one of the documented names";
  return "another type";
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// Protobuf says "(cluster) bar: Cannot find field." or
// "(cluster.port): invalid value "abc" for type TYPE_INT32"; users read keys.
std::string explain_protobuf_error(const std::string& message) {
  static const std::regex unknown{R"(^(?:\(([^)]*)\) )?(.+): Cannot find field\.$)"};
  static const std::regex wrong_type{R"(^\(([^)]*)\): invalid value (.*) for type (\w+)$)"};
  std::smatch m;
  if (std::regex_match(message, m, unknown)) return "unknown key '" + join_path(m[1], m[2]) + "'";
  if (std::regex_match(message, m, wrong_type))
    return "key '" + m[1].str() + "' expects " + expected_type(m[3]) + ", got " + m[2].str();
  return one_line(message);
}

caf::error parse_json_into(std::string_view text, std::string_view source,
                           google::protobuf::Message& out) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  options.case_insensitive_enum_parsing = true;
  out.Clear();
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece{text.data(), text.size()}, &out, options);
  if (!status.ok()) return bad(source, explain_protobuf_error(std::string{status.message()}));
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
    if (auto err = check_json_syntax(text, source)) return err;
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
