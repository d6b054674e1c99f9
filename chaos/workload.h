// The plan a chaos scenario runs while its faults are injected: the stories of
// `radctl load` (client/plan_shape.h) shaped by the scenario's ChaosWorkload,
// as mocks or as exec stories of `sleep`. Exec stories carry
// RAD_CHAOS_RUN=MARKER in their environment: a process still holding it once
// the nodes are stopped is an orphan (chaos/invariants.h).
//
//   auto plan = make_workload(scenario.workload(), seed, "chaos-42-1234");
#pragma once

#include <cstdint>
#include <string>

#include "rad/v1/chaos.pb.h"
#include "rad/v1/plan.pb.h"

namespace rad {

inline constexpr const char* kChaosMarkerVariable = "RAD_CHAOS_RUN";

// The workload with its zeros replaced by their meaning: 200 stories, 1 wave,
// 5 attempts.
v1::ChaosWorkload with_defaults(v1::ChaosWorkload workload);

// The plan, named "chaos"; the same workload and seed give the same plan
// (but for the marker). Retries back off from 50 ms: faults, not the
// backoff, are what a scenario measures. With workload.side_effects, exec
// commands append their starts and ends to `side_effects_path`.
v1::Plan make_workload(const v1::ChaosWorkload& workload, uint64_t seed, const std::string& marker,
                       const std::string& side_effects_path = "");

}  // namespace rad
