// Dispatcher (coordinator): places spawn requests on the live nodes that host
// agents, many requests to a message and a bounded number of messages in
// flight per node (flow control: CAF does not throttle senders), and answers
// each order with the counts of its results once every request has a result
// or was refused.
//
// An order is (dispatch_atom, Proto<SpawnBatch>) sent to the coordinator's
// NodeAgent, which delegates it here; the answer is Proto<RunStatus>. A
// Proto<CancelRequest> drops the queued requests it covers and reaches every
// node as (cancel_atom, Proto<CancelRequest>); cancelled agents answer with
// their results. A node that refuses a request because it drains gets no more.
// Requests a node refuses count as pending in the answer (nothing runs them);
// those a lost node had accepted count as failed (OUTCOME_NODE_LOST).
#pragma once

#include <spdlog/logger.h>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "rad/v1/cluster.pb.h"
#include "rad/v1/run.pb.h"

namespace rad {

using dispatch_atom = caf::atom_constant<caf::atom("dispatch")>;
// (place_atom, Proto<SpawnBatch>): place the requests; every one's result (or
// a synthetic one: refused, node lost, cancelled) goes to the sender, in
// Proto<ResultBatch> messages. No answer.
using place_atom = caf::atom_constant<caf::atom("place")>;
// (resink_atom, run id) -> std::vector<std::string>: the sender takes over the
// run's requests still open; the answer lists their story ids.
using resink_atom = caf::atom_constant<caf::atom("resink")>;
// (members_atom, node ids, their NodeAgents): the nodes that host agents, from NodeAgent.
using members_atom = caf::atom_constant<caf::atom("members")>;
// (node_lost_atom, node id): a member is down; what it accepted will not report.
using node_lost_atom = caf::atom_constant<caf::atom("nodelost")>;

// Requests per order at most. One message is read by one middleman thread:
// an order of 50,000 requests (1.5 MB) held the coordinator's link for
// ~400 ms, long enough for every worker to look suspect. Split larger work.
inline constexpr int kMaxRequestsPerOrder = 10000;

struct DispatcherOptions {
  // Requests per SpawnBatch message.
  int batch_size = 1024;
  // SpawnBatch messages awaiting their SpawnReply, per node.
  int window = 8;
};

struct DispatcherState {
  struct Target {
    std::string node_id;
    caf::actor agent;
  };
  struct Order {
    caf::response_promise promise;
    v1::RunStatus status;
    size_t open = 0;
  };
  using Key = std::tuple<std::string, std::string, uint32_t>;  // run, story, attempt

  DispatcherOptions options;
  std::shared_ptr<spdlog::logger> log;
  std::vector<Target> targets;
  size_t next_target = 0;
  std::deque<v1::SpawnRequest> queue;
  std::map<uint64_t, Order> orders;
  struct Pending {
    uint64_t order = 0;   // the order counting it, or
    caf::actor sink;      // where its result goes
    std::string node_id;  // where it was accepted; empty while queued
  };
  std::map<Key, Pending> pending;
  // Nodes that refused work because they drain: never placed on again.
  std::set<std::string> closed_nodes;
  // Runs cancelled as a whole: their requests are not placed again.
  std::set<std::string> cancelled_runs;
  // Batches sent and not yet answered, by batch id.
  struct Unanswered {
    std::string node_id;
    std::shared_ptr<v1::SpawnBatch> requests;
  };
  std::map<uint64_t, Unanswered> unanswered;
  // Results for sinks, sent at the end of the handler that produced them.
  std::map<caf::actor, v1::ResultBatch> outbox;
  uint64_t next_order = 1, next_batch = 1;
  static inline const char* name = "rad.dispatcher";
};

caf::behavior dispatcher(caf::stateful_actor<DispatcherState>* self, DispatcherOptions options);

}  // namespace rad
