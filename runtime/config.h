// A node's configuration (rad.v1.NodeConfig), assembled from layers in order of
// precedence, lowest first: documented defaults, the JSON or YAML file
// (--config or RAD_CONFIG), RAD_* environment variables, command-line flags.
//
// Everything about a setting (default, environment variable, flag, bounds,
// allowed values, secrecy, doc) is declared once, on its field in
// messages/rad/v1/config.proto; this file reads those declarations.
#pragma once

#include <google/protobuf/descriptor.h>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rad/v1/config.pb.h"
#include "rad/v1/options.pb.h"

namespace rad {

// Config files larger than this are refused.
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;

// One setting: a scalar or repeated field at the end of a path of messages.
struct ConfigLeaf {
  std::string path;                                             // "agents.max_agents"
  std::vector<const google::protobuf::FieldDescriptor*> chain;  // root to leaf
  const google::protobuf::FieldDescriptor* field = nullptr;     // == chain.back()
  v1::ConfigField options;
  std::string env;  // resolved: options.env or RAD_<PATH>
};

// Every setting of NodeConfig, in declaration order.
const std::vector<ConfigLeaf>& config_leaves();

// Where a layer came from; names the culprit in errors.
struct ConfigSource {
  enum Kind { defaults, file, environment, flags } kind = defaults;
  std::string file_path;  // for kind == file
  // "config file f.json: key 'cluster_port'", "environment variable RAD_X", "flag --x".
  std::string describe(const ConfigLeaf& leaf) const;
};

// Parses `text` as the leaf's type and stores it in `layer`. Repeated leaves
// append each comma-separated item.
caf::error set_config_value(v1::NodeConfig& layer, const ConfigLeaf& leaf, std::string_view text,
                            const ConfigSource& source);

// Checks bounds, allowed values and formats of every setting present in `layer`.
caf::error validate_config(const v1::NodeConfig& layer, const ConfigSource& source);

// Settings present in `overlay` replace those of `base` (repeated ones whole).
void merge_config(v1::NodeConfig& base, const v1::NodeConfig& overlay);

v1::NodeConfig default_config();
caf::expected<v1::NodeConfig> config_from_file(const std::string& path);

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();
caf::expected<v1::NodeConfig> config_from_env(const EnvLookup& env);

struct ConfigInputs {
  // The config file; when empty, RAD_CONFIG names it, if set.
  std::string file;
  EnvLookup env = process_environment();
  // Already validated, e.g. by bind_config_flags().
  v1::NodeConfig flags;
};

// All layers merged and validated; node_name defaults to the host name.
caf::expected<v1::NodeConfig> load_config(const ConfigInputs& inputs);

// One-line JSON of `config` with every secret replaced by "<redacted>".
std::string redacted_json(const v1::NodeConfig& config);

// agents.exec_slots, with 0 resolved to 128 per core of this machine.
size_t exec_slots(const v1::AgentsConfig& agents);

// The reference of every setting, as Markdown: docs/CONFIG.md.
std::string config_reference_markdown();

}  // namespace rad
