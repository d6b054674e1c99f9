#include "actors/dispatcher.h"

#include "runtime/logging.h"
#include "runtime/proto_bridge.h"

namespace rad {
namespace {

using Self = caf::stateful_actor<DispatcherState>*;
constexpr auto kSpawnReplyTimeout = std::chrono::seconds{30};

DispatcherState::Key key_of(const std::string& run, const std::string& story, uint32_t attempt) {
  return {run, story, attempt};
}

// One request of an order is settled: by a result or a refusal.
void settle(Self self, const DispatcherState::Key& key, v1::Outcome outcome) {
  auto& st = self->state;
  auto it = st.order_of.find(key);
  if (it == st.order_of.end()) return;  // a duplicate result: already settled
  auto order = st.orders.find(it->second);
  st.order_of.erase(it);
  if (order == st.orders.end()) return;
  auto* counts = order->second.status.mutable_counts();
  switch (outcome) {
    case v1::OUTCOME_SUCCEEDED:
      counts->set_succeeded(counts->succeeded() + 1);
      break;
    case v1::OUTCOME_CANCELLED:
      counts->set_cancelled(counts->cancelled() + 1);
      break;
    case v1::OUTCOME_UNSPECIFIED:
      counts->set_pending(counts->pending() + 1);
      break;  // refused
    default:
      counts->set_failed(counts->failed() + 1);
      break;
  }
  if (--order->second.open == 0) {
    self->state.log->debug("order {} done", order->first);
    order->second.promise.deliver(proto(std::move(order->second.status)));
    st.orders.erase(order);
  }
}

void pump(Self self);

void send_batch(Self self, size_t target_index) {
  auto& st = self->state;
  auto& target = st.targets[target_index];
  v1::SpawnBatch batch;
  batch.set_batch_id(st.next_batch++);
  while (!st.queue.empty() && batch.requests_size() < st.options.batch_size) {
    *batch.add_requests() = std::move(st.queue.front());
    st.queue.pop_front();
  }
  ++target.in_flight;
  self->state.log->debug("batch {} of {} to {} (in flight {}), queue {}", batch.batch_id(),
                         batch.requests_size(), target.node_id, target.in_flight, st.queue.size());
  auto node_id = target.node_id;
  auto requests = std::make_shared<v1::SpawnBatch>(batch);
  self->request(target.agent, kSpawnReplyTimeout, proto(std::move(batch)))
      .then(
          [=](const Proto<v1::SpawnReply>& reply) {
            for (auto& t : self->state.targets)
              if (t.node_id == node_id) --t.in_flight;
            for (const auto& d : reply.value.decisions())
              if (!d.accepted())
                settle(self, key_of(d.run_id(), d.story_id(), d.attempt()),
                       v1::OUTCOME_UNSPECIFIED);
            pump(self);
          },
          [=](caf::error& err) {
            self->state.log->warn(
                "spawn batch to node {} failed ({}); placing its {} requests elsewhere", node_id,
                self->system().render(err), requests->requests_size());
            // The node is gone or did not answer: place its requests elsewhere.
            for (auto& t : self->state.targets)
              if (t.node_id == node_id) --t.in_flight;
            for (auto& r : *requests->mutable_requests()) self->state.queue.push_back(std::move(r));
            pump(self);
          });
}

void pump(Self self) {
  auto& st = self->state;
  while (!st.queue.empty()) {
    size_t n = st.targets.size(), chosen = n;
    for (size_t i = 0; i < n && chosen == n; ++i) {
      size_t candidate = (st.next_target + i) % n;
      if (st.targets[candidate].in_flight < st.options.window) chosen = candidate;
    }
    if (chosen == n) return;  // every node's window is full, or there is no node
    st.next_target = chosen + 1;
    send_batch(self, chosen);
  }
}

}  // namespace

caf::behavior dispatcher(caf::stateful_actor<DispatcherState>* self, DispatcherOptions options) {
  self->state.options = options;
  self->state.log = logger("dispatch");
  return {
      [=](members_atom, const std::vector<std::string>& ids,
          const std::vector<caf::actor>& agents) {
        auto& st = self->state;
        std::vector<DispatcherState::Target> next;
        for (size_t i = 0; i < ids.size() && i < agents.size(); ++i) {
          DispatcherState::Target t{ids[i], agents[i], 0};
          for (const auto& old : st.targets)
            if (old.node_id == ids[i]) t.in_flight = old.in_flight;
          next.push_back(std::move(t));
        }
        st.targets = std::move(next);
        self->state.log->debug("{} nodes take agents", st.targets.size());
        pump(self);
      },
      [=](dispatch_atom, const Proto<v1::SpawnBatch>& order) {
        auto& st = self->state;
        auto id = st.next_order++;
        auto& o = st.orders[id];
        o.promise = self->make_response_promise();
        o.open = static_cast<size_t>(order.value.requests_size());
        if (!order.value.requests().empty()) o.status.set_run_id(order.value.requests(0).run_id());
        o.status.mutable_counts()->set_total(static_cast<uint32_t>(o.open));
        for (const auto& r : order.value.requests()) {
          st.order_of[key_of(r.run_id(), r.story().id(), r.attempt())] = id;
          st.queue.push_back(r);
        }
        auto promise = o.promise;
        if (o.open == 0) {
          promise.deliver(proto(std::move(o.status)));
          st.orders.erase(id);
        }
        pump(self);
        return promise;
      },
      [=](const Proto<v1::ResultBatch>& batch) {
        self->state.log->debug("{} results from {}, {} orders open", batch.value.results_size(),
                               batch.value.node_id(), self->state.orders.size());
        for (const auto& r : batch.value.results())
          settle(self, key_of(r.run_id(), r.story_id(), r.attempt()), r.outcome());
      },
  };
}

}  // namespace rad
