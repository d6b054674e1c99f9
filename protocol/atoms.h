// Atoms that more than one actor's protocol uses, each with one meaning.
// An atom used by one protocol only is declared with it (protocol/*.h).
#pragma once

#include <caf/atom.hpp>

namespace rad {

// A run's status: (status_atom, [run id,] bool with its stories) ->
// Proto<RunStatus>, from the Run itself, the Supervisor or the store.
using status_atom = caf::atom_constant<caf::atom("status")>;

// This node drains: it takes no new agents. -> bool, from the membership once
// the coordinator is told, from the AgentHost once no agent runs and every
// result is sent.
using drain_atom = caf::atom_constant<caf::atom("drain")>;

// Whether this node may take work now, and why (not): -> (bool, std::string),
// from the membership (joined, not draining) and the Dispatcher (no recovery under way).
using ready_atom = caf::atom_constant<caf::atom("ready")>;

}  // namespace rad
