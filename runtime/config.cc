#include "runtime/config.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "runtime/error.h"
#include "runtime/proto_file.h"

namespace rad {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string upper_env_name(const std::string& path) {
  std::string out = "RAD_";
  for (char c : path) out += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

void collect_leaves(const Descriptor* d, std::vector<const FieldDescriptor*>& chain,
                    const std::string& prefix, std::vector<ConfigLeaf>& out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    chain.push_back(f);
    std::string path = prefix.empty() ? f->name() : prefix + "." + f->name();
    if (f->type() == FieldDescriptor::TYPE_MESSAGE && !f->is_repeated()) {
      collect_leaves(f->message_type(), chain, path, out);
    } else {
      ConfigLeaf leaf;
      leaf.path = path;
      leaf.chain = chain;
      leaf.field = f;
      leaf.options = f->options().GetExtension(v1::config);
      leaf.env = leaf.options.env().empty() ? upper_env_name(path) : leaf.options.env();
      out.push_back(std::move(leaf));
    }
    chain.pop_back();
  }
}

// The message holding the leaf, or nullptr when a message on the way is absent.
const Message* leaf_parent(const Message& root, const ConfigLeaf& leaf) {
  const Message* m = &root;
  for (size_t i = 0; i + 1 < leaf.chain.size(); ++i) {
    if (!m->GetReflection()->HasField(*m, leaf.chain[i])) return nullptr;
    m = &m->GetReflection()->GetMessage(*m, leaf.chain[i]);
  }
  return m;
}

Message* mutable_leaf_parent(Message& root, const ConfigLeaf& leaf) {
  Message* m = &root;
  for (size_t i = 0; i + 1 < leaf.chain.size(); ++i)
    m = m->GetReflection()->MutableMessage(m, leaf.chain[i]);
  return m;
}

bool leaf_present(const Message& root, const ConfigLeaf& leaf) {
  const Message* m = leaf_parent(root, leaf);
  if (!m) return false;
  if (leaf.field->is_repeated()) return m->GetReflection()->FieldSize(*m, leaf.field) > 0;
  return m->GetReflection()->HasField(*m, leaf.field);
}

std::string trim(std::string_view s) {
  auto begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  auto end = s.find_last_not_of(" \t");
  return std::string{s.substr(begin, end - begin + 1)};
}

template <class Int>
bool parse_int(std::string_view text, Int& out) {
  auto s = trim(text);
  if (s.empty() || (std::is_unsigned<Int>::value && s[0] == '-')) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

bool parse_bool(std::string_view text, bool& out) {
  std::string s = trim(text);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true" || s == "1" || s == "yes" || s == "on") return out = true, true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return out = false, true;
  return false;
}

caf::error wrong_type(const ConfigLeaf& leaf, const ConfigSource& source, std::string_view text,
                      const char* expected) {
  return make_error(Errc::invalid_input, source.describe(leaf) + ": expected " + expected +
                                             ", got '" + std::string{text} + "'");
}

template <class Int>
caf::error set_integer(Message& parent, const ConfigLeaf& leaf, std::string_view text,
                       const ConfigSource& source, const char* expected,
                       void (Reflection::*setter)(Message*, const FieldDescriptor*, Int) const) {
  Int value;
  if (!parse_int(text, value)) return wrong_type(leaf, source, text, expected);
  (parent.GetReflection()->*setter)(&parent, leaf.field, value);
  return caf::none;
}

caf::error set_scalar(Message& parent, const ConfigLeaf& leaf, std::string_view text,
                      const ConfigSource& source) {
  const Reflection* r = parent.GetReflection();
  const FieldDescriptor* f = leaf.field;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (f->is_repeated()) {
        std::stringstream items{std::string{text}};
        for (std::string item; std::getline(items, item, ',');)
          if (auto t = trim(item); !t.empty()) r->AddString(&parent, f, t);
      } else {
        r->SetString(&parent, f, std::string{text});
      }
      return caf::none;
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (!parse_bool(text, v)) return wrong_type(leaf, source, text, "true or false");
      r->SetBool(&parent, f, v);
      return caf::none;
    }
    case FieldDescriptor::CPPTYPE_UINT32:
      return set_integer<uint32_t>(parent, leaf, text, source, "an unsigned 32-bit integer",
                                   &Reflection::SetUInt32);
    case FieldDescriptor::CPPTYPE_UINT64:
      return set_integer<uint64_t>(parent, leaf, text, source, "an unsigned 64-bit integer",
                                   &Reflection::SetUInt64);
    case FieldDescriptor::CPPTYPE_INT32:
      return set_integer<int32_t>(parent, leaf, text, source, "a 32-bit integer",
                                  &Reflection::SetInt32);
    case FieldDescriptor::CPPTYPE_INT64:
      return set_integer<int64_t>(parent, leaf, text, source, "a 64-bit integer",
                                  &Reflection::SetInt64);
    default:
      throw std::logic_error("config field " + leaf.path + " has a type config.cc cannot set");
  }
}

// Integer value of a present scalar leaf, widened; nullopt for other types.
std::optional<long double> integer_value(const Message& parent, const FieldDescriptor* f) {
  const Reflection* r = parent.GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT32:
      return r->GetUInt32(parent, f);
    case FieldDescriptor::CPPTYPE_UINT64:
      return r->GetUInt64(parent, f);
    case FieldDescriptor::CPPTYPE_INT32:
      return r->GetInt32(parent, f);
    case FieldDescriptor::CPPTYPE_INT64:
      return r->GetInt64(parent, f);
    default:
      return std::nullopt;
  }
}

bool valid_host_port(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  uint32_t port;
  return parse_int(std::string_view{s}.substr(colon + 1), port) && port >= 1 && port <= 65535;
}

caf::error check_leaf(const Message& parent, const ConfigLeaf& leaf, const ConfigSource& source) {
  const auto& o = leaf.options;
  const Reflection* r = parent.GetReflection();
  auto fail = [&](const std::string& what) {
    return make_error(Errc::invalid_input, source.describe(leaf) + ": " + what);
  };
  if (auto v = integer_value(parent, leaf.field)) {
    if ((o.has_min() && *v < o.min()) || (o.has_max() && *v > o.max())) {
      std::ostringstream what;
      what << static_cast<long long>(*v) << " is out of range " << o.min() << ".." << o.max();
      return fail(what.str());
    }
  }
  if (leaf.field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) return caf::none;
  std::vector<std::string> values;
  if (leaf.field->is_repeated()) {
    for (int i = 0; i < r->FieldSize(parent, leaf.field); ++i)
      values.push_back(r->GetRepeatedString(parent, leaf.field, i));
  } else {
    values.push_back(r->GetString(parent, leaf.field));
  }
  for (const auto& v : values) {
    if (o.choices_size() > 0 &&
        std::find(o.choices().begin(), o.choices().end(), v) == o.choices().end()) {
      std::string allowed;
      for (const auto& c : o.choices()) allowed += (allowed.empty() ? "" : ", ") + c;
      return fail("'" + v + "' is not one of " + allowed);
    }
    if (o.format() == "host:port" && !valid_host_port(v))
      return fail("'" + v + "' is not HOST:PORT");
  }
  return caf::none;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "rad-node";
  return buf;
}

}  // namespace

const std::vector<ConfigLeaf>& config_leaves() {
  static const std::vector<ConfigLeaf> leaves = [] {
    std::vector<ConfigLeaf> out;
    std::vector<const FieldDescriptor*> chain;
    collect_leaves(v1::NodeConfig::descriptor(), chain, "", out);
    return out;
  }();
  return leaves;
}

std::string ConfigSource::describe(const ConfigLeaf& leaf) const {
  switch (kind) {
    case defaults:
      return "default of '" + leaf.path + "'";
    case file:
      return "config file " + file_path + ": key '" + leaf.path + "'";
    case environment:
      return "environment variable " + leaf.env;
    case flags:
      return "flag --" + leaf.options.flag();
  }
  return leaf.path;
}

caf::error set_config_value(v1::NodeConfig& layer, const ConfigLeaf& leaf, std::string_view text,
                            const ConfigSource& source) {
  return set_scalar(*mutable_leaf_parent(layer, leaf), leaf, text, source);
}

caf::error validate_config(const v1::NodeConfig& layer, const ConfigSource& source) {
  for (const auto& leaf : config_leaves()) {
    if (!leaf_present(layer, leaf)) continue;
    if (auto err = check_leaf(*leaf_parent(layer, leaf), leaf, source)) return err;
  }
  return caf::none;
}

void merge_config(v1::NodeConfig& base, const v1::NodeConfig& overlay) {
  for (const auto& leaf : config_leaves()) {
    if (leaf.field->is_repeated() && leaf_present(overlay, leaf)) {
      Message* parent = mutable_leaf_parent(base, leaf);
      parent->GetReflection()->ClearField(parent, leaf.field);
    }
  }
  base.MergeFrom(overlay);
}

v1::NodeConfig default_config() {
  static const v1::NodeConfig defaults = [] {
    v1::NodeConfig out;
    ConfigSource source;
    for (const auto& leaf : config_leaves()) {
      if (leaf.options.default_value().empty()) continue;
      if (auto err = set_config_value(out, leaf, leaf.options.default_value(), source))
        throw std::logic_error(error_message(err));
    }
    if (auto err = validate_config(out, source)) throw std::logic_error(error_message(err));
    return out;
  }();
  return defaults;
}

caf::expected<v1::NodeConfig> config_from_file(const std::string& path) {
  std::string text;
  if (auto err = read_bounded_file(path, kMaxConfigFileBytes, text))
    return make_error(Errc::invalid_input, "config file " + error_message(err));
  v1::NodeConfig layer;
  if (auto err = parse_proto_text(text, format_of(path), "config file " + path, layer)) {
    auto message = error_message(err);
    if (message.find("unknown key") != std::string::npos)
      message += "; rad-node --config-reference lists the keys";
    return make_error(Errc::invalid_input, std::move(message));
  }
  if (auto err = validate_config(layer, ConfigSource{ConfigSource::file, path})) return err;
  return layer;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string{v};
    return std::nullopt;
  };
}

caf::expected<v1::NodeConfig> config_from_env(const EnvLookup& env) {
  v1::NodeConfig layer;
  ConfigSource source{ConfigSource::environment, {}};
  for (const auto& leaf : config_leaves()) {
    if (auto value = env(leaf.env)) {
      if (auto err = set_config_value(layer, leaf, *value, source)) return err;
    }
  }
  if (auto err = validate_config(layer, source)) return err;
  return layer;
}

caf::expected<v1::NodeConfig> load_config(const ConfigInputs& inputs) {
  v1::NodeConfig config = default_config();
  std::string file = inputs.file;
  if (file.empty()) file = inputs.env("RAD_CONFIG").value_or("");
  if (!file.empty()) {
    auto layer = config_from_file(file);
    if (!layer) return layer.error();
    merge_config(config, *layer);
  }
  auto env_layer = config_from_env(inputs.env);
  if (!env_layer) return env_layer.error();
  merge_config(config, *env_layer);
  merge_config(config, inputs.flags);
  if (config.node_name().empty()) config.set_node_name(host_name());
  return config;
}

std::string redacted_json(const v1::NodeConfig& config) {
  v1::NodeConfig copy = config;
  for (const auto& leaf : config_leaves()) {
    if (leaf.options.secret() && leaf_present(copy, leaf))
      set_scalar(*mutable_leaf_parent(copy, leaf), leaf, "<redacted>", ConfigSource{});
  }
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(copy, &out, options);
  return out;
}

std::string config_reference_markdown() {
  std::ostringstream md;
  md << "# rad-node configuration\n\n"
     << "<!-- Generated by `rad-node --config-reference` from messages/rad/v1/config.proto;"
        " edit that file, not this one. -->\n\n"
     << "Each setting comes, in order of precedence (later wins), from its default, the config\n"
     << "file (`--config FILE` or `RAD_CONFIG`: the JSON mapping of `rad.v1.NodeConfig`, or YAML\n"
     << "with the same keys; keys are snake_case or lowerCamelCase, nested as in the path),\n"
     << "its environment variable, and its flag. An unknown key, a value of the wrong type or\n"
     << "out of range, or an unreadable file stops `rad-node` with one line on stderr naming\n"
     << "the key and the file, and exit code 2. Secrets are never logged.\n\n"
     << "| key | type | default | environment | flag | meaning |\n"
     << "|---|---|---|---|---|---|\n";
  for (const auto& leaf : config_leaves()) {
    const auto& o = leaf.options;
    std::string type = leaf.field->is_repeated() ? "list of " : "";
    type += leaf.field->cpp_type_name();
    if (!o.unit().empty()) type += " (" + o.unit() + ")";
    std::string meaning = o.doc();
    if (o.has_min() || o.has_max())
      meaning += "; " + std::to_string(o.min()) + ".." + std::to_string(o.max());
    if (o.choices_size() > 0) {
      meaning += "; one of";
      for (const auto& c : o.choices()) meaning += " `" + c + "`";
    }
    if (o.secret()) meaning += "; secret: never logged";
    std::string def = o.default_value().empty() ? "" : "`" + o.default_value() + "`";
    md << "| `" << leaf.path << "` | " << type << " | " << def << " | `" << leaf.env << "` | "
       << (o.flag().empty() ? "" : "`--" + o.flag() + "`") << " | " << meaning << " |\n";
  }
  md << "\nOutside the table: `--config FILE` (`RAD_CONFIG`) names the config file, and `radctl`\n"
     << "reads `RAD_API` (default `http://127.0.0.1:3000`).\n";
  return md.str();
}

size_t exec_slots(const v1::AgentsConfig& agents) {
  if (agents.exec_slots() > 0) return agents.exec_slots();
  // Most commands of an agent wait (on a model, a network, a disk): many per
  // core keep the machine busy; more only queue in the kernel.
  return 128 * std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace rad
