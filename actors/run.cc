#include "actors/run.h"

#include <algorithm>

#include "actors/agent.h"
#include "actors/dispatcher.h"
#include "runtime/logging.h"
#include "runtime/proto_bridge.h"

namespace rad {
namespace {

using Self = caf::stateful_actor<RunActorState>*;

void place_ready(Self self) {
  auto& st = self->state;
  auto ready = st.run->take_ready(RunState::Clock::now());
  for (size_t i = 0; i < ready.size(); i += kMaxRequestsPerOrder) {
    Proto<v1::SpawnBatch> batch;
    auto end = std::min(ready.size(), i + kMaxRequestsPerOrder);
    batch.value.mutable_requests()->Reserve(static_cast<int>(end - i));
    for (size_t j = i; j < end; ++j) *batch.value.add_requests() = std::move(ready[j]);
    self->send(st.dispatcher, place_atom::value, std::move(batch));
  }
}

// Reports the end of the run once. It stops when the Supervisor acknowledges:
// queries the Supervisor passed on before that are still answered.
void finish_if_over(Self self) {
  auto& st = self->state;
  if (st.reported || !st.run->finished() || st.run->in_flight() > 0) return;
  st.reported = true;
  self->send(st.supervisor, run_done_atom::value, proto(st.run->status(true)));
}

}  // namespace

caf::behavior run_actor(caf::stateful_actor<RunActorState>* self, std::shared_ptr<RunState> run,
                        caf::actor dispatcher, caf::actor supervisor, bool restarted) {
  auto& st = self->state;
  // The Supervisor made the RunState; from here on only this actor touches it.
  st.run = std::move(run);
  st.dispatcher = std::move(dispatcher);
  st.supervisor = std::move(supervisor);
  if (restarted) {
    self->request(st.dispatcher, std::chrono::seconds{30}, resink_atom::value, st.run->run_id())
        .then(
            [=](const std::vector<std::string>& open) {
              auto lost = self->state.run->adopt(open, RunState::Clock::now());
              logger("supervisor")
                  ->info(
                      "run {}: restarted actor took over {} open requests; {} results lost with "
                      "the old one get new attempts",
                      self->state.run->run_id(), open.size(), lost);
              place_ready(self);
              finish_if_over(self);
            },
            [=](caf::error& err) { self->quit(std::move(err)); });
  } else {
    place_ready(self);
    finish_if_over(self);
  }
  return {
      [=](const Proto<v1::ResultBatch>& batch) {
        auto& st = self->state;
        std::uniform_real_distribution<double> unit{0.0, 1.0};
        auto now = RunState::Clock::now();
        for (const auto& result : batch.value.results()) {
          auto effect = st.run->on_result(result, now, unit(st.rng));
          if (effect.retry_in)
            self->delayed_send(self, *effect.retry_in, retry_atom::value,
                               static_cast<uint64_t>(effect.story));
        }
        place_ready(self);
        finish_if_over(self);
      },
      [=](retry_atom, uint64_t story) {
        self->state.run->retry_due(static_cast<size_t>(story));
        place_ready(self);
        finish_if_over(self);
      },
      [=](run_done_atom) { self->quit(); },
      [=](status_atom, bool with_stories) { return proto(self->state.run->status(with_stories)); },
      [=](cancel_atom, const std::string& reason) {
        auto& st = self->state;
        st.run->cancel(reason, RunState::Clock::now());
        v1::CancelRequest cancel;
        cancel.set_run_id(st.run->run_id());
        cancel.set_reason(reason);
        self->send(st.dispatcher, proto(std::move(cancel)));
        finish_if_over(self);
      },
  };
}

}  // namespace rad
