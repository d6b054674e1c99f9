#include "actors/checkpoint.h"

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "runtime/error.h"
#include "runtime/logging.h"
#include "runtime/proto_bridge.h"
#include "runtime/span.h"

namespace rad {
namespace {

using flush_atom = caf::atom_constant<caf::atom("ckflush")>;
using tick_atom = caf::atom_constant<caf::atom("cktick")>;
using probe_atom = caf::atom_constant<caf::atom("ckprobe")>;

// The protocol and what the actor sends itself.
using checkpoint_impl =
    checkpoint_actor::extend<caf::reacts_to<flush_atom>, caf::reacts_to<tick_atom>,
                             caf::reacts_to<probe_atom>>;

struct CheckpointState {
  std::shared_ptr<Store> store;
  CheckpointOptions options;
  Store::Batch batch;
  std::vector<caf::typed_response_promise<bool>> waiting;
  // The group commit's span joins the trace of its first record's run: one
  // span per write, whatever number of runs it serves.
  std::string first_traceparent, first_run_id;
  uint64_t first_at = 0;
  bool flush_scheduled = false;
  // What the watchers were told last.
  bool writable = true;
  std::string message;
  std::vector<store_watcher_actor> watchers;
  bool probe_scheduled = false;
  static inline const char* name = "rad.checkpoint";
};

using Self = checkpoint_impl::stateful_pointer<CheckpointState>;

constexpr auto kProbeEvery = std::chrono::seconds{1};

std::string writable_message(const Store& store) {
  return "checkpoint store " + store.options().path + " can be written";
}

// Tells the watchers when the store's state changed since they heard last; a
// store that cannot be written is tried again every second until it can.
void tell_store_state(Self self) {
  auto& st = self->state;
  bool writable = st.store->writable();
  if (!writable && !st.probe_scheduled) {
    st.probe_scheduled = true;
    self->delayed_send(self, kProbeEvery, probe_atom::value);
  }
  auto message = writable ? writable_message(*st.store) : error_message(st.store->write_error());
  if (writable == st.writable && message == st.message) return;
  auto log = logger("checkpoint");
  if (writable && !st.writable)
    log->info("{} again; new runs are accepted", message);
  else if (!writable && st.writable)
    log->warn("{} (new runs are refused, running ones wait)", message);
  st.writable = writable;
  st.message = message;
  for (const auto& w : st.watchers) self->send(w, store_state_atom::value, writable, message);
}

// The flush message queues behind every request already in the mailbox: they
// all go into one write.
void schedule_flush(Self self) {
  if (self->state.flush_scheduled) return;
  self->state.flush_scheduled = true;
  self->send(self, flush_atom::value);
}

void flush(Self self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  auto records = st.batch.records();
  // From the first record's arrival: the wait in the group is part of the write.
  ActiveSpan span{"checkpoint write", st.first_traceparent, st.first_at};
  span.attr("run.id", st.first_run_id)
      .attr("records", static_cast<int64_t>(records))
      .attr("writers", static_cast<int64_t>(waiting.size()));
  st.first_traceparent.clear();
  auto start = std::chrono::steady_clock::now();
  auto err = st.store->write(st.batch);
  span.attr("outcome", err ? "failed" : "written").finish();
  if (st.options.metrics && !err && records > 0)
    st.options.metrics->wrote(std::chrono::steady_clock::now() - start, records);
  tell_store_state(self);
  if (err) {
    st.batch = Store::Batch{};  // the writers try again with their records
    for (auto& p : waiting) p.deliver(err);
    return;
  }
  for (auto& p : waiting) p.deliver(true);
}

caf::expected<v1::CompactionReport> compact(Self self, bool dry_run) {
  auto& st = self->state;
  // What is pending goes in first: compaction sees every record.
  if (!st.waiting.empty()) flush(self);
  auto report = st.store->compact(st.options.retention, dry_run);
  if (report)
    logger("checkpoint")
        ->info("compaction{}: {} finished runs pruned, {} records deleted, {} bytes -> {} bytes",
               dry_run ? " (dry run)" : "", report->runs_pruned(), report->records_deleted(),
               report->bytes_before(), report->bytes_after());
  return report;
}

// Backups go beside the store, DATA_DIR/backups/checkpoint-20261126T011500Z:
// a client of the API chooses no path on this host.
caf::expected<v1::BackupReport> backup(Self self) {
  auto& st = self->state;
  if (!st.waiting.empty()) flush(self);  // what is acknowledged is in it
  std::error_code ec;
  auto data_dir = std::filesystem::absolute(st.store->options().path, ec).parent_path();
  auto dir = data_dir / "backups";
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(Errc::io_error, "cannot create " + dir.string() + ": " + ec.message());
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "checkpoint-%Y%m%dT%H%M%SZ", std::gmtime(&now));
  auto path = dir / stamp;
  for (int n = 2; std::filesystem::exists(path); ++n)
    path = dir / (std::string{stamp} + "-" + std::to_string(n));
  auto report = st.store->backup(path.string());
  if (report)
    logger("checkpoint")
        ->info("backup of the checkpoint store in {} ({} bytes)", report->path(), report->bytes());
  return report;
}

// A run as the store has it: its summary, and each wave's stories when the
// plan is still there (compaction keeps only the summary of old runs).
caf::expected<v1::RunStatus> stored_status(const Store& store, const std::string& run_id,
                                           bool with_stories) {
  auto run = store.run(run_id);
  if (!run && is(run.error(), Errc::not_found)) return unknown_run(run_id);
  if (!run || !with_stories) return run;
  auto plan = store.plan(run_id);
  if (!plan) return is(plan.error(), Errc::not_found) ? run : plan.error();
  std::map<std::string, v1::StoryStatus> stories;
  if (auto err = store.for_each_story(run_id, [&](const v1::StoryStatus& s) {
        stories.emplace(s.id(), s);
        return true;
      }))
    return err;
  for (int w = 0; w < plan->waves_size() && w < run->waves_size(); ++w)
    for (const auto& spec : plan->waves(w).stories()) {
      auto it = stories.find(spec.id());
      if (it != stories.end()) *run->mutable_waves(w)->add_stories() = std::move(it->second);
    }
  return run;
}

checkpoint_impl::behavior_type checkpoint(Self self, std::shared_ptr<Store> store,
                                          CheckpointOptions options) {
  self->state.store = std::move(store);
  self->state.options = options;
  self->state.message = writable_message(*self->state.store);
  if (options.compact_every.count() > 0)
    self->delayed_send(self, options.compact_every, tick_atom::value);
  return {
      [=](compact_atom, bool dry_run) -> caf::result<Proto<v1::CompactionReport>> {
        auto report = compact(self, dry_run);
        if (!report) return report.error();
        return proto(std::move(*report));
      },
      [=](status_atom, const std::string& run_id,
          bool with_stories) -> caf::result<Proto<v1::RunStatus>> {
        auto status = stored_status(*self->state.store, run_id, with_stories);
        if (!status) return status.error();
        return proto(std::move(*status));
      },
      [=](backup_atom) -> caf::result<Proto<v1::BackupReport>> {
        auto report = backup(self);
        if (!report) return report.error();
        return proto(std::move(*report));
      },
      [=](tick_atom) {
        // A store that cannot be written cannot compact either.
        if (self->state.writable) (void)compact(self, false);
        self->delayed_send(self, self->state.options.compact_every, tick_atom::value);
      },
      [=](checkpoint_atom, const Proto<v1::CheckpointRecords>& records,
          const SharedPlan& plan) -> caf::result<bool> {
        auto& st = self->state;
        const auto& r = records.value;
        if (st.waiting.empty()) {
          st.first_traceparent = r.trace().traceparent();
          st.first_run_id = r.run_id();
          st.first_at = unix_nanos_now();
        }
        st.batch.append_step(r);
        if (r.has_run() && r.has_idempotency_key())
          st.batch.put_run(r.run(), r.idempotency_key());
        else if (r.has_run())
          st.batch.put_run(r.run());
        if (plan.plan) st.batch.put_plan(r.run_id(), *plan.plan);
        st.waiting.push_back(self->make_response_promise<bool>());
        schedule_flush(self);
        return st.waiting.back();
      },
      [=](const Proto<v1::AgentNodes>& nodes) {
        self->state.batch.put_agent_nodes(nodes.value);
        schedule_flush(self);
      },
      [=](flush_atom) { flush(self); },
      [=](probe_atom) {
        auto& st = self->state;
        st.probe_scheduled = false;
        (void)st.store->recover();  // its error, if any, is the store's write_error()
        tell_store_state(self);
      },
      [=](watch_store_atom, const store_watcher_actor& watcher) {
        auto& st = self->state;
        if (!watcher) return;
        st.watchers.push_back(watcher);
        self->send(watcher, store_state_atom::value, st.writable, st.message);
      },
  };
}

}  // namespace

checkpoint_actor spawn_checkpoint(caf::actor_system& system, std::shared_ptr<Store> store,
                                  CheckpointOptions options) {
  return system.spawn<caf::detached>(checkpoint, std::move(store), std::move(options));
}

}  // namespace rad
