// The messages that cross nodes, and their registration with CAF.
#pragma once

#include <caf/actor_system_config.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace rad {

// Bumped on any change peers cannot ignore; a peer of another version is refused.
inline constexpr uint32_t kProtocolVersion = 3;

// Registers every rad.v1 message as Proto<T> under its protobuf full name, and
// rad's error category. Call once per actor_system_config, on every node.
void register_protocol(caf::actor_system_config& cfg);

// Full names of the messages register_protocol() adds, e.g. "rad.v1.Ping".
const std::vector<std::string>& protocol_message_names();

}  // namespace rad
