// The Agent's protocol (actors/agent.h): what a mock agent is told by its
// AgentHost, and what an attempt, mock or exec, tells its host. All local.
#pragma once

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>

#include "rad/v1/run.pb.h"
#include "runtime/proto_bridge.h"

namespace rad {

// Its duration has passed: it reports the outcome its host planned.
using finish_atom = caf::atom_constant<caf::atom("finish")>;
// It reports CANCELLED.
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
// It stops at once and reports nothing: its host ended the attempt itself (a
// cancel of 100,000 agents then costs one message each, not two, and the host
// is done at once).
using dismiss_atom = caf::atom_constant<caf::atom("dismiss")>;
// (crashed_atom, Proto<StoryResult>, reason): an exec attempt ended without
// its result; the result says why. (crashed_atom, id, reason): a mock agent
// did (it failed, or was killed).
using crashed_atom = caf::atom_constant<caf::atom("crashed")>;
// (ended_atom, id, cancelled): a mock agent's attempt ended, as planned or
// cancelled; its host, which planned it, makes the result.
using ended_atom = caf::atom_constant<caf::atom("ended")>;

// A mock agent's attempt as its AgentHost names it (actors/slot_table.h).
using MockAgentId = uint64_t;

// A mock agent, as its AgentHost alone drives it.
using mock_agent_actor = caf::typed_actor<caf::reacts_to<finish_atom>, caf::reacts_to<cancel_atom>,
                                          caf::reacts_to<dismiss_atom>>;

// Whom an attempt reports to: its AgentHost. An exec attempt sends its one
// result, or anyone local (actors/agent_observer.h) its crash; a mock agent
// says how it ended, or, as it goes without that, why (the host takes these
// two from its own node only).
using attempt_host_actor =
    caf::typed_actor<caf::reacts_to<Proto<v1::StoryResult>>,
                     caf::reacts_to<crashed_atom, Proto<v1::StoryResult>, caf::error>,
                     caf::reacts_to<ended_atom, MockAgentId, bool>,
                     caf::reacts_to<crashed_atom, MockAgentId, caf::error>>;

}  // namespace rad
