// What an AgentHost tells a test: its running agents, and the results it sends
// to the test as their sink.
#pragma once

#include <gtest/gtest.h>

#include <caf/scoped_actor.hpp>
#include <chrono>
#include <map>
#include <string>

#include "protocol/agent_host.h"
#include "rad/v1/cluster.pb.h"
#include "runtime/proto_bridge.h"

namespace rad::test {

inline uint32_t running_agents(caf::scoped_actor& self, const agent_host_actor& host) {
  uint32_t n = 0;
  self->request(host, std::chrono::seconds{5}, running_atom::value)
      .receive([&](uint32_t r) { n = r; },
               [&](const caf::error& err) { ADD_FAILURE() << self->system().render(err); });
  return n;
}

// Results sent to `self` as a sink, by story, until `n` came or 10 s passed.
inline std::map<std::string, v1::StoryResult> results_by_story(caf::scoped_actor& self, size_t n) {
  std::map<std::string, v1::StoryResult> out;
  bool timed_out = false;
  self->receive_while([&] { return out.size() < n && !timed_out; })(
      [&](const Proto<v1::ResultBatch>& batch) {
        for (const auto& r : batch.value.results()) out[r.story_id()] = r;
      },
      caf::after(std::chrono::seconds{10}) >> [&] { timed_out = true; });
  return out;
}

}  // namespace rad::test
