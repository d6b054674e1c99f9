// The envelope layer of the cluster link: every message to another node
// leaves through link_send() or link_request(). Both consult the process's
// LinkHook, if one is installed, which may drop, delay or duplicate the
// message; with none (the default) they are self->send() and self->request(),
// at the cost of one atomic load. A message to an actor of this node is never
// shown to the hook.
//
//   set_link_hook(&hook);                          // hook.decide() sees each envelope
//   link_send(self, peer_agent, proto(heartbeat)); // sent as the verdict says
//   set_link_hook(nullptr);                        // sent as is again
//
// A request that is dropped is never answered: the requester's timeout fires,
// as it would when the network loses it. One that is delayed reaches its
// receiver late, and the answer returns to the requester. Requests are never
// duplicated: a second answer would find no one waiting. So the requester's
// code is the same with a hook or without.
#pragma once

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_priority.hpp>
#include <caf/node_id.hpp>
#include <chrono>

namespace rad {

// What happens to one message. The default: it goes as sent.
struct LinkVerdict {
  bool drop = false;
  int copies = 1;  // a one-way message arrives this many times
  std::chrono::milliseconds delay{0};
};

// Decides the fate of each message for another node. Called from any actor's
// thread, concurrently: an implementation locks what it shares.
class LinkHook {
 public:
  virtual ~LinkHook() = default;
  virtual LinkVerdict decide(const caf::node_id& destination) = 0;
};

// The process's hook (a node is one process); null: none. The hook must
// outlive every send that may still load it: install one that lives as long
// as the process.
void set_link_hook(LinkHook* hook);
LinkHook* link_hook();

// Stands in for a request's receiver: forwards it after `delay`, or, when
// `drop`, never (it stops after `lifetime`).
caf::behavior link_relay(caf::event_based_actor* self, caf::actor receiver,
                         std::chrono::milliseconds delay, bool drop,
                         std::chrono::milliseconds lifetime);

// Whether `receiver` (a handle of any interface) lives on another node.
template <class Handle>
bool crosses_link(const Handle& receiver, const caf::node_id& local) {
  return receiver && receiver.node() != local;
}

// self->send<P>(receiver, xs...), as the link hook decides. A high priority
// message is read before the normal ones already in the receiver's mailbox.
template <caf::message_priority P = caf::message_priority::normal, class Self, class Handle,
          class... Ts>
void link_send(Self* self, const Handle& receiver, Ts&&... xs) {
  auto* hook = link_hook();
  if (!hook || !crosses_link(receiver, self->node())) {
    self->template send<P>(receiver, std::forward<Ts>(xs)...);
    return;
  }
  auto verdict = hook->decide(receiver.node());
  if (verdict.drop) return;
  for (int i = 0; i < verdict.copies; ++i) {
    if (verdict.delay.count() > 0)
      self->template delayed_send<P>(receiver, verdict.delay, xs...);
    else
      self->template send<P>(receiver, xs...);
  }
}

// Two one-way messages to actors of one node, `first` before `second`, as one
// connection carries them: the hook's one verdict holds for both (dropped,
// delayed or duplicated together), so the second never arrives without the
// first, nor before it.
template <class Self, class First, class FirstMessage, class Second, class SecondMessage>
void link_send_in_order(Self* self, const First& first, FirstMessage&& first_message,
                        const Second& second, SecondMessage&& second_message) {
  auto* hook = link_hook();
  if (!hook || !crosses_link(first, self->node())) {
    self->send(first, std::forward<FirstMessage>(first_message));
    self->send(second, std::forward<SecondMessage>(second_message));
    return;
  }
  auto verdict = hook->decide(first.node());
  if (verdict.drop) return;
  for (int i = 0; i < verdict.copies; ++i) {
    if (verdict.delay.count() > 0) {
      // The second is due no earlier than the first, and the actor clock
      // keeps the order of messages due at the same time.
      self->delayed_send(first, verdict.delay, first_message);
      self->delayed_send(second, verdict.delay, second_message);
    } else {
      self->send(first, first_message);
      self->send(second, second_message);
    }
  }
}

// self->request(receiver, timeout, xs...), as the link hook decides.
// `receiver`: a handle of any interface; the answer is checked against it.
template <class Self, class Handle, class Timeout, class... Ts>
auto link_request(Self* self, const Handle& receiver, Timeout timeout, Ts&&... xs) {
  auto* hook = link_hook();
  if (!hook || !crosses_link(receiver, self->node()))
    return self->request(receiver, timeout, std::forward<Ts>(xs)...);
  auto verdict = hook->decide(receiver.node());
  if (!verdict.drop && verdict.delay.count() == 0)
    return self->request(receiver, timeout, std::forward<Ts>(xs)...);
  // Linked: the relay ends with its requester (a node that stops waits for it).
  auto lifetime = std::chrono::duration_cast<std::chrono::milliseconds>(timeout) + verdict.delay;
  auto relay = self->template spawn<caf::linked>(link_relay, caf::actor_cast<caf::actor>(receiver),
                                                 verdict.delay, verdict.drop, lifetime);
  // The relay forwards whatever it is sent: it stands in for `receiver`, so
  // the request (and the type of its answer) is the one `receiver` takes.
  return self->request(caf::actor_cast<Handle>(relay), timeout, std::forward<Ts>(xs)...);
}

}  // namespace rad
