// The rad-node flags of every NodeConfig setting that declares one.
#pragma once

#include <CLI/CLI.hpp>
#include <caf/expected.hpp>
#include <map>
#include <string>
#include <vector>

#include "rad/v1/config.pb.h"

namespace rad {

// What the flags received, keyed by setting path; filled by CLI::App::parse().
using ConfigFlagValues = std::map<std::string, std::vector<std::string>>;

// Adds one option per setting with a flag to `app`, storing into `values`.
void add_config_flags(CLI::App& app, ConfigFlagValues& values);

// The flags layer, validated; errors name the flag.
caf::expected<v1::NodeConfig> config_from_flags(const ConfigFlagValues& values);

}  // namespace rad
