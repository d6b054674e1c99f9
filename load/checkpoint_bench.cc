// Checkpointed transitions per second for each sync mode, next to raw RocksDB
// writes of the same bytes in the same run.
//
//   build/bin/rad-bench-checkpoint [--transitions 200000] [--group 1000] [--every 2000]
//                                  [--repeat 3]
//
// A transition is what a Run hands the Checkpoint actor per story step: the
// event and the story's final state, in groups of `group` transitions per
// write (group commit). rad: each group one Run step (CheckpointRecords, built
// beforehand as the Run builds it) through Store::Batch::append_step and
// Store::write, serialization included: one record per 1,024 transitions.
// Raw: the naive layout, the one rad's schema 1 had: each event and each
// story state a RocksDB record of its own (keys and values prepared
// beforehand), in two column families, through one rocksdb::WriteBatch per
// group with the same sync option. Sync mode `every` syncs each write: raw,
// each record; rad, each step, one transition a step. It runs `--every`
// transitions only.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "harness/process.h"
#include "persistence/store.h"
#include "runtime/error.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Transition {
  rad::v1::StoryTransition event;
  rad::v1::StoryStatus story;
};

Transition make(int i) {
  Transition t;
  auto id = "story-" + std::to_string(i % 50000);
  t.event.set_run_id("run-0123456789ab");
  t.event.set_story_id(id);
  t.event.set_attempt(1);
  t.event.set_from(rad::v1::STORY_STATE_SCHEDULED);
  t.event.set_to(rad::v1::STORY_STATE_SUCCEEDED);
  t.event.set_node_id("8F3A2C1D9E7B6A5F4C3D2E1F0A9B8C7D6E5F4A3B#1234");
  t.event.set_seq(static_cast<uint64_t>(i) + 1);
  t.event.mutable_at()->set_seconds(1795600000 + i);
  t.event.mutable_trace()->set_traceparent(
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  t.story.set_id(id);
  t.story.set_state(rad::v1::STORY_STATE_SUCCEEDED);
  t.story.set_attempts(1);
  t.story.set_node_id(t.event.node_id());
  return t;
}

double rad_rate(rad::SyncMode mode, int n, int group) {
  rad::TempDir dir;
  auto store = rad::Store::open({dir.path() + "/checkpoint", mode});
  if (!store) {
    std::fprintf(stderr, "%s\n", rad::error_message(store.error()).c_str());
    return -1;
  }
  if (mode == rad::SyncMode::every) group = 1;
  std::vector<rad::v1::CheckpointRecords> steps;
  for (int i = 0; i < n; ++i) {
    if (i % group == 0) steps.emplace_back().set_run_id("run-0123456789ab");
    auto t = make(i);
    t.event.clear_run_id();  // as a Run leaves it: the record's key holds it
    *steps.back().add_transitions() = std::move(t.event);
    *steps.back().add_stories() = std::move(t.story);
  }
  auto start = Clock::now();
  for (const auto& step : steps) {
    rad::Store::Batch batch;
    batch.append_step(step);
    if (auto err = (*store)->write(batch)) {
      std::fprintf(stderr, "%s\n", rad::error_message(err).c_str());
      return -1;
    }
  }
  return n / std::chrono::duration<double>(Clock::now() - start).count();
}

double raw_rate(rad::SyncMode mode, int n, int group) {
  rad::TempDir dir;
  // The same layout as the store: events and stories in families of their own.
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  std::vector<rocksdb::ColumnFamilyDescriptor> families{
      {"default", {}}, {"events", {}}, {"stories", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::Open(options, dir.path() + "/raw", families, &handles, &db).ok()) return -1;
  std::unique_ptr<rocksdb::DB> owner{db};
  struct Handles {
    rocksdb::DB* db;
    std::vector<rocksdb::ColumnFamilyHandle*> h;
    ~Handles() {
      for (auto* x : h) db->DestroyColumnFamilyHandle(x);
    }
  } cleanup{db, handles};
  struct KV {
    std::string key, value;
  };
  std::vector<KV> kvs;
  for (int i = 0; i < n; ++i) {
    auto t = make(i);
    kvs.push_back({rad::event_key(t.event.run_id(), t.event.seq()), t.event.SerializeAsString()});
    kvs.push_back({rad::story_key(t.event.run_id(), t.story.id()), t.story.SerializeAsString()});
  }
  rocksdb::WriteOptions w;
  w.sync = mode != rad::SyncMode::none;
  auto start = Clock::now();
  if (mode == rad::SyncMode::every) {
    for (size_t i = 0; i < kvs.size(); ++i)
      if (!db->Put(w, handles[1 + i % 2], kvs[i].key, kvs[i].value).ok()) return -1;
  } else {
    rocksdb::WriteBatch wb;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < 2; ++j) {
        const auto& kv = kvs[static_cast<size_t>(2 * i + j)];
        wb.Put(handles[static_cast<size_t>(1 + j)], kv.key, kv.value);
      }
      if ((i + 1) % group == 0 || i + 1 == n) {
        if (!db->Write(w, &wb).ok()) return -1;
        wb.Clear();
      }
    }
  }
  return n / std::chrono::duration<double>(Clock::now() - start).count();
}

// Bytes of a store holding `stories` finished stories (runs of 10,000 in
// steps of 1,000, each story with its two events and state), before and
// after compaction with no retention; -1 on failure.
int compaction(int stories) {
  rad::TempDir dir;
  auto store = rad::Store::open({dir.path() + "/checkpoint", rad::SyncMode::none});
  if (!store) return -1;
  constexpr int kPerRun = 10000;
  int runs = (stories + kPerRun - 1) / kPerRun;
  for (int r = 0; r < runs; ++r) {
    auto run_id = "run-" + std::to_string(r);
    rad::Store::Batch batch;
    rad::v1::Plan plan;
    plan.set_name("p");
    auto* wave = plan.add_waves();
    wave->set_name("w");
    rad::v1::CheckpointRecords step;
    step.set_run_id(run_id);
    for (int i = 0; i < kPerRun && r * kPerRun + i < stories; ++i) {
      auto t = make(r * kPerRun + i);
      t.event.clear_run_id();
      wave->add_stories()->set_id(t.story.id());
      for (auto to : {rad::v1::STORY_STATE_SCHEDULED, rad::v1::STORY_STATE_SUCCEEDED}) {
        t.event.set_to(to);
        t.event.set_seq(2 * static_cast<uint64_t>(i) + (to == rad::v1::STORY_STATE_SUCCEEDED) + 1);
        *step.add_transitions() = t.event;
      }
      *step.add_stories() = t.story;
      if (step.stories_size() == 1000) {
        batch.append_step(step);
        step.clear_transitions();
        step.clear_stories();
      }
    }
    batch.append_step(step);
    batch.put_plan(run_id, plan);
    rad::v1::RunStatus summary;
    summary.set_run_id(run_id);
    summary.set_state(rad::v1::RUN_STATE_SUCCEEDED);
    summary.mutable_counts()->set_total(kPerRun);
    summary.mutable_counts()->set_succeeded(kPerRun);
    summary.mutable_finished_at()->set_seconds(1);
    batch.put_run(summary);
    if ((*store)->write(batch)) return -1;
  }
  rad::Store::Retention none;
  none.keep_runs = 0;
  none.keep_for = std::chrono::seconds{0};
  auto report = (*store)->compact(none, false);
  if (!report) return -1;
  std::printf(
      "compaction of %d finished stories in %d runs: %.1f MiB -> %.2f MiB (%.2f%% of "
      "before), %llu records deleted\n",
      stories, runs, static_cast<double>(report->bytes_before()) / (1 << 20),
      static_cast<double>(report->bytes_after()) / (1 << 20),
      100.0 * static_cast<double>(report->bytes_after()) /
          static_cast<double>(report->bytes_before()),
      static_cast<unsigned long long>(report->records_deleted()));
  return report->bytes_after() * 10 < report->bytes_before() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int transitions = 200000, group = 1000, every = 2000, repeat = 3, compaction_stories = 0;
  CLI::App app{"rad-bench-checkpoint: checkpointed transitions/s per sync mode vs raw RocksDB"};
  app.add_option("--transitions", transitions, "Per sync mode none and batch")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--group", group, "Transitions per write (group commit)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--every", every, "Transitions in sync mode every")->check(CLI::Range(1, 1000000));
  app.add_option("--repeat", repeat, "Rounds, alternating which goes first; medians are reported")
      ->check(CLI::Range(1, 100));
  app.add_option("--compaction-stories", compaction_stories,
                 "Also fill a store with this many finished stories and compact it (floor: "
                 "under 10% of the size before)")
      ->check(CLI::Range(0, 10000000));
  CLI11_PARSE(app, argc, argv);

  int failures = 0;
  for (auto mode : {rad::SyncMode::none, rad::SyncMode::batch, rad::SyncMode::every}) {
    int n = mode == rad::SyncMode::every ? every : transitions;
    std::vector<double> raws, rads;
    for (int r = 0; r < repeat; ++r) {
      if (r % 2 == 0) {
        raws.push_back(raw_rate(mode, n, group));
        rads.push_back(rad_rate(mode, n, group));
      } else {
        rads.push_back(rad_rate(mode, n, group));
        raws.push_back(raw_rate(mode, n, group));
      }
    }
    std::sort(raws.begin(), raws.end());
    std::sort(rads.begin(), rads.end());
    double raw = raws[raws.size() / 2], rad_tps = rads[rads.size() / 2];
    if (raws.front() < 0 || rads.front() < 0) {
      ++failures;
      continue;
    }
    std::printf(
        "sync %-5s: rad %9.0f transitions/s, raw RocksDB %9.0f/s, ratio %.2f (%d transitions, %d "
        "per write)\n",
        rad::to_string(mode), rad_tps, raw, rad_tps / raw, n,
        mode == rad::SyncMode::every ? 1 : group);
  }
  if (compaction_stories > 0 && compaction(compaction_stories) != 0) ++failures;
  return failures == 0 ? 0 : 1;
}
