// Actors that peers can reach must outlive what peers send them. CAF 0.17's
// defaults do not: an unexpected message is answered with an error, and an
// error message that nobody awaits makes the receiving actor quit. So a peer
// answering a notice, or an old version sending a message this one does not
// know, would stop the actor a node publishes. guard_against_peers() logs both and goes on.
#pragma once

#include <caf/scheduled_actor.hpp>
#include <memory>

namespace spdlog {
class logger;
}

namespace rad {

// Unexpected messages are logged (with their types, never their contents)
// and answered with sec::unexpected_message; stray errors are logged.
void guard_against_peers(caf::scheduled_actor* self, std::shared_ptr<spdlog::logger> log);

}  // namespace rad
