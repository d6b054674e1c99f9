// Checkpointed transitions per second for each sync mode, next to raw RocksDB
// writes of the same bytes in the same run.
//
//   build/bin/rad-bench-checkpoint [--transitions 200000] [--group 1000] [--every 2000]
//                                  [--repeat 3]
//
// A transition is what the Checkpoint actor will write per story step: the
// event (append-only) and the story's new state, in one group of `group`
// transitions per write (group commit). rad: StoryTransition and StoryStatus
// messages through Store::Batch and Store::write, serialization included.
// Raw: the same keys and serialized values, prepared beforehand, in the same
// two column families, through one rocksdb::WriteBatch per group with the same
// sync option. Sync mode `every`
// syncs each record, so it runs `--every` transitions only.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "persistence/store.h"
#include "runtime/error.h"
#include "tests/support/process.h"

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
  rad::test::TempDir dir;
  auto store = rad::Store::open({dir.path() + "/checkpoint", mode});
  if (!store) {
    std::fprintf(stderr, "%s\n", rad::error_message(store.error()).c_str());
    return -1;
  }
  std::vector<Transition> ts;
  for (int i = 0; i < n; ++i) ts.push_back(make(i));
  auto start = Clock::now();
  rad::Store::Batch batch;
  for (int i = 0; i < n; ++i) {
    batch.append_event(ts[static_cast<size_t>(i)].event);
    batch.put_story(ts[static_cast<size_t>(i)].event.run_id(), ts[static_cast<size_t>(i)].story);
    if ((i + 1) % group == 0 || i + 1 == n)
      if (auto err = (*store)->write(batch)) {
        std::fprintf(stderr, "%s\n", rad::error_message(err).c_str());
        return -1;
      }
  }
  return n / std::chrono::duration<double>(Clock::now() - start).count();
}

double raw_rate(rad::SyncMode mode, int n, int group) {
  rad::test::TempDir dir;
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

}  // namespace

int main(int argc, char** argv) {
  int transitions = 200000, group = 1000, every = 2000, repeat = 3;
  CLI::App app{"rad-bench-checkpoint: checkpointed transitions/s per sync mode vs raw RocksDB"};
  app.add_option("--transitions", transitions, "Per sync mode none and batch")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--group", group, "Transitions per write (group commit)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--every", every, "Transitions in sync mode every")->check(CLI::Range(1, 1000000));
  app.add_option("--repeat", repeat, "Rounds, alternating which goes first; medians are reported")
      ->check(CLI::Range(1, 100));
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
  return failures == 0 ? 0 : 1;
}
