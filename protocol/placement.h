// What a Run hands the Dispatcher to place (place_atom, protocol/dispatcher.h):
// attempts that name their story in the run's plan rather than carry a copy of
// it. Both actors live on the coordinator, so this never crosses the network;
// a story is copied once, into the SpawnBatch that takes it to a node, when a
// node can take it. A queued attempt then costs the Dispatcher 32 bytes, not
// a SpawnRequest (docs/BENCHMARKS.md, issue [8]).
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rad/v1/cluster.pb.h"
#include "rad/v1/plan.pb.h"

namespace rad {

// What the attempts of one hand-over share.
struct PlacementGroup {
  std::string run_id;
  // Owns the stories the attempts point to; read-only.
  std::shared_ptr<const v1::Plan> plan;
  // A story's timeout when its plan sets none (agents.timeout_ms).
  uint64_t default_timeout_ms = 0;
  // Each attempt's trace parent: the `schedule` span's, marked sampled for
  // attempts with spans of their own.
  std::string traceparent_own, traceparent_other;
};

struct PlacedAttempt {
  const v1::Story* story = nullptr;  // in group->plan
  uint32_t attempt = 0;
  bool own_span = false;
};

struct Placement {
  std::shared_ptr<const PlacementGroup> group;
  std::vector<PlacedAttempt> attempts;
};

// One attempt as a node is sent it.
inline v1::SpawnRequest spawn_request_of(const PlacementGroup& group, const PlacedAttempt& a) {
  v1::SpawnRequest r;
  r.set_run_id(group.run_id);
  r.set_attempt(a.attempt);
  *r.mutable_story() = *a.story;
  if (r.story().timeout_ms() == 0) r.mutable_story()->set_timeout_ms(group.default_timeout_ms);
  r.mutable_trace()->set_traceparent(a.own_span ? group.traceparent_own : group.traceparent_other);
  return r;
}

}  // namespace rad

// Local to the coordinator: never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rad::Placement)
