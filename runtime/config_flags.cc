#include "runtime/config_flags.h"

#include "runtime/config.h"

namespace rad {

void add_config_flags(CLI::App& app, ConfigFlagValues& values) {
  for (const auto& leaf : config_leaves()) {
    const auto& o = leaf.options;
    if (o.flag().empty()) continue;
    std::string help = o.doc();
    if (!o.default_value().empty()) help += " (default " + o.default_value() + ")";
    help += " [env " + leaf.env + "]";
    auto* opt = app.add_option("--" + o.flag(), values[leaf.path], help);
    opt->type_name(leaf.field->is_repeated() ? "HOST:PORT" : "VALUE");
    if (!leaf.field->is_repeated()) opt->expected(1);
  }
}

caf::expected<v1::NodeConfig> config_from_flags(const ConfigFlagValues& values) {
  v1::NodeConfig layer;
  ConfigSource source{ConfigSource::flags, {}};
  for (const auto& leaf : config_leaves()) {
    auto it = values.find(leaf.path);
    if (it == values.end()) continue;
    for (const auto& text : it->second)
      if (auto err = set_config_value(layer, leaf, text, source)) return err;
  }
  if (auto err = validate_config(layer, source)) return err;
  return layer;
}

}  // namespace rad
