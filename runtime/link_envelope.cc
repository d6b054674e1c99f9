#include "runtime/link_envelope.h"

#include <atomic>
#include <caf/message_view.hpp>
#include <memory>

namespace rad {
namespace {

using relay_atom = caf::atom_constant<caf::atom("relay")>;

// The one request a relay holds until it forwards it.
struct Held {
  caf::response_promise promise;
  caf::message request;
  bool arrived = false;
  // The delay is over (the timer may fire before the request arrives).
  bool due = false;
};

// Acquire pairs with set_link_hook()'s release: a hook is seen as it was
// when installed.
std::atomic<LinkHook*> the_hook{nullptr};

}  // namespace

void set_link_hook(LinkHook* hook) { the_hook.store(hook, std::memory_order_release); }

LinkHook* link_hook() { return the_hook.load(std::memory_order_acquire); }

caf::behavior link_relay(caf::event_based_actor* self, caf::actor receiver,
                         std::chrono::milliseconds delay, bool drop,
                         std::chrono::milliseconds lifetime) {
  auto held = std::make_shared<Held>();
  auto forward = [=] {
    held->promise.delegate(receiver, std::move(held->request));
    self->quit();
  };
  self->set_default_handler(
      [=](caf::scheduled_actor* s, caf::message_view& x) -> caf::result<caf::message> {
        held->promise = s->make_response_promise();
        held->request = x.move_content_to_message();
        held->arrived = true;
        if (held->due && !drop) forward();
        return caf::delegated<caf::message>{};
      });
  self->delayed_send(self, drop ? lifetime : delay, relay_atom::value);
  return {
      [=](relay_atom) {
        held->due = true;
        if (drop)
          self->quit();
        else if (held->arrived)
          forward();
      },
  };
}

}  // namespace rad
