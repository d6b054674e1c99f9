// A seam of the Node (actors/node.h): what a node is built with besides its
// configuration, for code that lives in its process but is not the node's
// own (fault injection, faults/chaos_extension.h). The builder of the node
// (tools/rad_node.cc) passes one to Node::start(); the node hands each of its
// parts the hook meant for it, lets the extension add to it once its actors
// run, and tells it when it stops. The base class adds nothing: a node
// started without an extension, or with this one, is the node alone.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <memory>

#include "actors/agent_observer.h"
#include "persistence/write_hook.h"
#include "protocol/agent_host.h"
#include "protocol/membership.h"
#include "rad/v1/config.pb.h"
#include "runtime/http_server.h"
#include "runtime/metrics.h"

namespace rad {

// What an extension may add to: the node once its actors run, before its
// HTTP servers serve.
struct NodeParts {
  const v1::NodeConfig& config;
  caf::actor_system& system;
  // Its membership actor (protocol/membership.h), of either role.
  membership_actor membership;
  // None on a coordinator-only node.
  agent_host_actor agent_host;
  // Routes added here are served with the node's own.
  HttpServer& http;
  // Null when the node exports no metrics (metrics_port 0).
  Metrics* metrics;
};

class NodeExtension {
 public:
  virtual ~NodeExtension() = default;

  // Asked once, only by a node with a checkpoint store, before it opens it:
  // its StoreOptions::write_hook. Null (the default): none.
  virtual std::shared_ptr<StoreWriteHook> store_write_hook() { return nullptr; }
  // Asked once, only by a node that runs agents, before its AgentHost starts:
  // its observer. Null (the default): none.
  virtual std::shared_ptr<AgentObserver> agent_observer() { return nullptr; }

  // The node's actors run; its HTTP servers do not serve yet. Not called when
  // the node fails to start before.
  virtual void started(const NodeParts&) {}
  // The node stops; its actor system waits for every actor next, so the
  // extension's own end here. Also called when started() was not.
  virtual void stopping() {}
};

}  // namespace rad
