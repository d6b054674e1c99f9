// The admission verdict: may this node take new agents, given what its
// ResourceSampler measured? Placement sends work only to nodes that admit.
// Pure functions; the Monitor calls them on every sample.
#pragma once

#include <cstdint>
#include <string>

#include "actors/monitor/resource_sampler.h"
#include "rad/v1/cluster.pb.h"

namespace rad {

// A node refuses when a figure reaches its threshold (value >= threshold).
// A threshold of 0 switches its check off.
struct AdmissionThresholds {
  double max_cpu_percent = 90;
  double max_memory_percent = 90;
  uint32_t max_processes = 0;
  uint32_t max_threads = 0;
  uint32_t max_agents = 10000;
};

struct Admission {
  bool admits = true;
  // Empty when the node admits; otherwise one line naming each resource at
  // its threshold, value and threshold: "memory 93.1% >= 90%; agents 10000 >= 10000".
  std::string refusal;
};

// Memory is not judged when the sample has no total (it could not be read):
// a node that cannot measure itself still admits, within its agent limit.
Admission admit(const ResourceSample& sample, uint32_t running_agents,
                const AdmissionThresholds& thresholds);

// node_id and incarnation are left for the caller; sampled_at is now.
v1::NodeStats to_node_stats(const ResourceSample& sample, uint32_t running_agents,
                            const Admission& admission);

}  // namespace rad
