#include "runtime/peer_guard.h"

#include <spdlog/logger.h>

#include <caf/actor_system.hpp>
#include <caf/message_view.hpp>
#include <caf/sec.hpp>

namespace rad {

void guard_against_peers(caf::scheduled_actor* self, std::shared_ptr<spdlog::logger> log) {
  self->set_default_handler([log](caf::scheduled_actor* me, caf::message_view& view) {
    auto msg = view.copy_content_to_message();
    std::string types;
    for (size_t i = 0; i < msg.size(); ++i) {
      if (i > 0) types += ", ";
      auto info = msg.type(i);
      types += me->system().types().portable_name(info);
    }
    log->warn("dropped an unexpected message ({}) from {}", types,
              me->current_sender() ? to_string(me->current_sender()->node()) : "an unknown sender");
    return caf::result<caf::message>{caf::sec::unexpected_message};
  });
  self->set_error_handler([log](caf::scheduled_actor* me, caf::error& err) {
    log->warn("ignored an error nobody awaited: {}", me->system().render(err));
  });
}

}  // namespace rad
