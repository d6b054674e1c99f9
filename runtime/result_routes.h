// Where the results of a spawn batch's runs go, sent with the batch: each
// run's own Run actor on the coordinator, so that a node sends a result
// straight to the actor that applies it (protocol/agent_host.h). Actor
// handles are CAF data, not protobuf, so this travels beside the
// Proto<SpawnBatch> rather than inside it; it is registered with the actor
// system like the protobuf messages (runtime/protocol.h).
#pragma once

#include <caf/meta/type_name.hpp>
#include <caf/typed_actor.hpp>
#include <string>
#include <vector>

#include "rad/v1/cluster.pb.h"
#include "runtime/proto_bridge.h"

namespace rad {

// An actor that takes the results of attempts, many to a batch.
using result_sink_actor = caf::typed_actor<caf::reacts_to<Proto<v1::ResultBatch>>>;

// By run id: where the results of that run's attempts go. A run not named
// here has its results sent to whoever sent the spawns.
struct ResultRoutes {
  std::vector<std::string> run_ids;
  std::vector<result_sink_actor> sinks;  // pairwise with run_ids

  void add(std::string run_id, result_sink_actor sink) {
    run_ids.push_back(std::move(run_id));
    sinks.push_back(std::move(sink));
  }
  // The sink of `run_id`; none when it has none here.
  result_sink_actor find(const std::string& run_id) const {
    for (size_t i = 0; i < run_ids.size() && i < sinks.size(); ++i)
      if (run_ids[i] == run_id) return sinks[i];
    return {};
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ResultRoutes& x) {
  return f(caf::meta::type_name("rad.ResultRoutes"), x.run_ids, x.sinks);
}

}  // namespace rad
