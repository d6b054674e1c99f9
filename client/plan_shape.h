// Plans made to measure: N mock stories in waves, with dependencies between
// consecutive waves and a duration distribution, from a seed (the same shape
// and seed make the same plan).
//
//   PlanShape shape;
//   shape.stories = 100000;
//   shape.waves = 4;
//   shape.dependency_density = 0.5;  // half the stories of waves 2.. wait for others
//   v1::Plan plan = make_plan(shape);
#pragma once

#include <cstdint>
#include <string>

#include "rad/v1/plan.pb.h"

namespace rad {

struct PlanShape {
  std::string name = "load";
  int stories = 10000;  // spread evenly over the waves
  int waves = 1;
  // The share of the stories of waves after the first that depend on stories
  // of the wave before, and on how many each (fan-out: a story of wave w is
  // waited for by about dependency_density * fan_out stories of wave w+1).
  double dependency_density = 0;
  int fan_out = 1;
  // Mock attempts: their duration (FIXED, UNIFORM in [0, 2d], EXPONENTIAL of
  // mean d) and the probability that one fails (it is retried).
  uint64_t duration_ms = 0;
  v1::MockDriver::Distribution distribution = v1::MockDriver::FIXED;
  double failure_rate = 0;
  // Stories of one wave running at once; 0: no limit.
  uint32_t max_concurrent = 0;
  uint64_t seed = 1;
};

v1::Plan make_plan(const PlanShape& shape);

}  // namespace rad
