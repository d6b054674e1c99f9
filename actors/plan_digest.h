// A plan's digest: what tells "the same plan again" (a retried submit, to be
// answered with the run its idempotency key made) from "another plan under a
// key already used" (refused). Two plans that parse to the same message have
// the same digest, however their JSON or YAML was spaced or ordered.
#pragma once

#include <string>

#include "rad/v1/plan.pb.h"

namespace rad {

// SHA-256 of the plan's deterministic protobuf serialization: 32 raw bytes.
std::string plan_sha256(const v1::Plan& plan);

}  // namespace rad
