#include "faults/chaos.h"

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "faults/chaos_values.h"
#include "faults/link_faults.h"
#include "runtime/error.h"
#include "runtime/logging.h"
#include "runtime/proto_bridge.h"

namespace rad {
namespace {

// (end_pressure_atom, generation): its own timer, when a pressure's duration is over.
using end_pressure_atom = caf::atom_constant<caf::atom("endpress")>;
using chaos_impl = chaos_actor::extend<caf::reacts_to<end_pressure_atom, uint64_t>>;

struct ChaosState {
  ChaosOptions options;
  std::unique_ptr<ResourcePressure> pressure;
  uint64_t pressure_generation = 0;  // a newer pressure outlives an older one's end
  static inline const char* name = "rad.chaos";
};

using Self = chaos_impl::stateful_pointer<ChaosState>;
using Clock = std::chrono::steady_clock;

constexpr auto kAskTimeout = std::chrono::seconds{5};

Clock::time_point until_of(const v1::ChaosCommand& c) {
  return c.duration_ms() == 0 ? Clock::time_point::max()
                              : Clock::now() + std::chrono::milliseconds{c.duration_ms()};
}

std::string lasting(const v1::ChaosCommand& c) {
  return c.duration_ms() == 0 ? " until cleared"
                              : " for " + std::to_string(c.duration_ms()) + " ms";
}

v1::ChaosAck ack(Self self, std::string applied) {
  v1::ChaosAck a;
  a.set_node(self->state.options.node_name);
  a.set_applied(std::move(applied));
  logger("chaos")->warn("chaos: {}", a.applied());
  return a;
}

// The node ids of `names` in `view`, or "*" for every peer when `names` is empty.
caf::expected<std::vector<std::string>> peers_named(
    const v1::MembershipView& view, const google::protobuf::RepeatedPtrField<std::string>& names) {
  if (names.empty()) return std::vector<std::string>{"*"};
  std::vector<std::string> ids;
  std::string known;
  for (const auto& name : names) {
    std::string id;
    for (const auto& m : view.members()) {
      if (m.node().name() == name) id = m.node().node_id();
    }
    if (id.empty()) {
      for (const auto& m : view.members()) known += (known.empty() ? "" : ", ") + m.node().name();
      return make_error(Errc::invalid_input, "no node named '" + name + "' in this node's view (" +
                                                 known + "); name a member");
    }
    ids.push_back(id);
  }
  return ids;
}

std::string join(const google::protobuf::RepeatedPtrField<std::string>& names) {
  if (names.empty()) return "every peer";
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

LinkFaultRule rule_of(const v1::ChaosCommand& c) {
  LinkFaultRule r;
  r.until = until_of(c);
  if (c.has_partition()) {
    r.drop = 1;
    return r;
  }
  const auto& l = c.link();
  r.drop = l.drop_probability();
  r.duplicate = l.duplicate_probability();
  r.delay = std::chrono::milliseconds{l.delay_ms()};
  r.jitter = std::chrono::milliseconds{l.delay_jitter_ms()};
  return r;
}

std::string describe_link(const v1::ChaosCommand& c) {
  if (c.has_partition()) return "partitioned from " + join(c.partition().from().node_names());
  const auto& l = c.link();
  return "link to " + join(l.to().node_names()) + ": drop " + std::to_string(l.drop_probability()) +
         ", delay " + std::to_string(l.delay_ms()) + "+" + std::to_string(l.delay_jitter_ms()) +
         " ms, duplicate " + std::to_string(l.duplicate_probability());
}

// Link faults and partitions name peers: the view says who they are.
caf::result<Proto<v1::ChaosAck>> apply_link(Self self, const v1::ChaosCommand& c) {
  auto rp = self->make_response_promise<Proto<v1::ChaosAck>>();
  self->request(self->state.options.membership, kAskTimeout, view_atom::value)
      .then(
          [=](const Proto<v1::MembershipView>& view) mutable {
            const auto& names =
                c.has_partition() ? c.partition().from().node_names() : c.link().to().node_names();
            auto peers = peers_named(view.value, names);
            if (!peers) {
              rp.deliver(peers.error());
              return;
            }
            auto& faults = LinkFaults::instance();
            faults.seed(c.seed());
            for (const auto& id : *peers) faults.set(id, rule_of(c));
            rp.deliver(proto(ack(self, describe_link(c) + lasting(c))));
          },
          [=](const caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

caf::result<Proto<v1::ChaosAck>> kill_agents(Self self, const v1::ChaosCommand& c) {
  auto& agents = self->state.options.agents;
  if (!agents)
    return make_error(Errc::invalid_input, "node " + self->state.options.node_name +
                                               " runs no agents; target a worker or an all node");
  auto killed = agents->kill(c.kill_agent().fraction(), c.seed());
  return proto(ack(self, "killed " + std::to_string(killed) + " agents"));
}

caf::result<Proto<v1::ChaosAck>> apply_pressure(Self self, const v1::ChaosCommand& c) {
  auto& st = self->state;
  st.pressure.reset();  // one pressure at a time: the new one replaces it
  st.pressure = ResourcePressure::start(c.pressure().cpu_threads(), c.pressure().memory_bytes());
  auto generation = ++st.pressure_generation;
  if (c.duration_ms() > 0)
    self->delayed_send(self, std::chrono::milliseconds{c.duration_ms()}, end_pressure_atom::value,
                       generation);
  return proto(ack(self, "pressure: " + std::to_string(st.pressure->cpu_threads()) +
                             " busy threads, " + std::to_string(st.pressure->memory_bytes()) +
                             " bytes held" + lasting(c)));
}

caf::result<Proto<v1::ChaosAck>> fail_checkpoint(Self self, const v1::ChaosCommand& c) {
  auto& writes = self->state.options.writes;
  if (!writes)
    return make_error(Errc::invalid_input, "node " + self->state.options.node_name +
                                               " has no checkpoint; target the coordinator");
  const auto& f = c.checkpoint_failure();
  WriteFaults::Options o;
  o.probability = f.probability();
  o.disk_full = f.disk_full();
  o.until = until_of(c);
  o.seed = c.seed();
  writes->arm(o);
  return proto(ack(self, std::string{"checkpoint writes fail ("} +
                             (f.disk_full() ? "disk full" : "I/O error") + ") with probability " +
                             std::to_string(f.probability()) + lasting(c)));
}

caf::result<Proto<v1::ChaosAck>> apply(Self self, const v1::ChaosCommand& c) {
  auto problems = fault_value_problems(c, "command");
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return make_error(Errc::invalid_input, all);
  }
  switch (c.fault_case()) {
    case v1::ChaosCommand::kKillAgent:
      return kill_agents(self, c);
    case v1::ChaosCommand::kLink:
    case v1::ChaosCommand::kPartition:
      return apply_link(self, c);
    case v1::ChaosCommand::kPressure:
      return apply_pressure(self, c);
    case v1::ChaosCommand::kCheckpointFailure:
      return fail_checkpoint(self, c);
    case v1::ChaosCommand::kKillNode:
    case v1::ChaosCommand::kRestartCoordinator:
      return make_error(Errc::invalid_input,
                        "a node does not kill itself: process faults are radctl chaos run's");
    default:
      return make_error(Errc::invalid_input, "the command names no fault");
  }
}

chaos_impl::behavior_type chaos(Self self, ChaosOptions options) {
  self->state.options = std::move(options);
  return {
      [=](const Proto<v1::ChaosCommand>& command) { return apply(self, command.value); },
      [=](end_pressure_atom, uint64_t generation) {
        if (generation == self->state.pressure_generation) self->state.pressure.reset();
      },
      [=](clear_atom) {
        auto& st = self->state;
        LinkFaults::instance().clear();
        st.pressure.reset();
        if (st.options.writes) st.options.writes->disarm();
        return proto(ack(self, "every fault cleared"));
      },
  };
}

}  // namespace

chaos_actor spawn_chaos(caf::actor_system& system, ChaosOptions options) {
  return system.spawn(chaos, std::move(options));
}

}  // namespace rad
