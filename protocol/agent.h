// The Agent's protocol (actors/agent.h): what a mock agent is told by its
// AgentHost, and what an attempt, mock or exec, tells its host. All local.
#pragma once

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

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
// (crashed_atom, Proto<StoryResult>, reason): an attempt ended without its
// result; the result says why.
using crashed_atom = caf::atom_constant<caf::atom("crashed")>;

// A mock agent, as its AgentHost alone drives it.
using mock_agent_actor = caf::typed_actor<caf::reacts_to<finish_atom>, caf::reacts_to<cancel_atom>,
                                          caf::reacts_to<dismiss_atom>>;

// Whom an attempt reports to: its AgentHost. Its one result, from the mock
// agent or the exec attempt; or, when it ended without one, the crash: from a
// mock agent as it goes, and from anyone local for an exec attempt
// (actors/agent_observer.h).
using attempt_host_actor =
    caf::typed_actor<caf::reacts_to<Proto<v1::StoryResult>>,
                     caf::reacts_to<crashed_atom, Proto<v1::StoryResult>, caf::error>>;

}  // namespace rad
