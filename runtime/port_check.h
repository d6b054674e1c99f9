// Tells, before a server starts, whether it can listen where it is told to, so
// that a port in use is one clear line rather than a library's error.
#pragma once

#include <caf/error.hpp>
#include <cstdint>
#include <string>

namespace rad {

// Binds a probe socket to `bind`:`port` and releases it. Errc::in_use when the
// port is taken, Errc::invalid_input when `bind` is not an address of this host.
// `what` names the port in the message ("cluster port"); `flag` is its flag.
caf::error check_port_free(const std::string& bind, uint16_t port, const std::string& what,
                           const std::string& flag);

}  // namespace rad
