// The checkpoint store on a real RocksDB in a temporary directory.
#include "persistence/store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "faults/write_faults.h"
#include "harness/process.h"
#include "runtime/error.h"
#include "tests/support/tmpfs.h"

namespace rad {
namespace {

v1::StoryTransition transition(uint64_t seq, const std::string& story) {
  v1::StoryTransition t;
  t.set_seq(seq);
  t.set_story_id(story);
  t.set_attempt(1);
  t.set_from(v1::STORY_STATE_SCHEDULED);
  t.set_to(v1::STORY_STATE_SUCCEEDED);
  return t;
}

v1::StoryStatus ended(const std::string& story, uint32_t attempts = 1) {
  v1::StoryStatus s;
  s.set_id(story);
  s.set_state(v1::STORY_STATE_SUCCEEDED);
  s.set_attempts(attempts);
  return s;
}

// A step of run `run`, as a Run hands it over: a transition per seq, of
// story `story`, and the stories that ended in it.
v1::CheckpointRecords step(const std::string& run, const std::vector<uint64_t>& seqs,
                           const std::string& story = "s",
                           const std::vector<v1::StoryStatus>& ended_stories = {}) {
  v1::CheckpointRecords records;
  records.set_run_id(run);
  for (auto seq : seqs) *records.add_transitions() = transition(seq, story);
  for (const auto& s : ended_stories) *records.add_stories() = s;
  return records;
}

std::map<std::string, v1::StoryStatus> stories_of(const Store& store, const std::string& run) {
  std::map<std::string, v1::StoryStatus> out;
  EXPECT_FALSE(store.for_each_story(run, [&](const v1::StoryStatus& s) {
    EXPECT_TRUE(out.emplace(s.id(), s).second) << s.id() << " stored twice";
    return true;
  }));
  return out;
}

std::vector<uint64_t> seqs_of(const Store& store, const std::string& run) {
  std::vector<uint64_t> seqs;
  EXPECT_FALSE(store.for_each_event(run, [&](const v1::StoryTransition& t) {
    EXPECT_EQ(t.run_id(), run);
    seqs.push_back(t.seq());
    return true;
  }));
  return seqs;
}

// Run `id`'s summary, submitted under `key`, and that key's record.
std::pair<v1::RunStatus, v1::IdempotencyKey> keyed_run(const std::string& id,
                                                       const std::string& key) {
  v1::RunStatus run;
  run.set_run_id(id);
  run.set_plan_name("p");
  run.set_idempotency_key(key);
  v1::IdempotencyKey record;
  record.set_key(key);
  record.set_run_id(id);
  record.set_plan_sha256(std::string(32, '\x5a'));
  return {run, record};
}

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> open(SyncMode sync = SyncMode::batch) {
    auto store = Store::open({path_, sync});
    EXPECT_TRUE(store) << error_message(store.error());
    return store ? std::move(*store) : nullptr;
  }

  // Writes a record straight into the store's RocksDB (creating it if need
  // be), as an older or a future version or a damaged disk would leave it.
  void put_behind_the_store(const std::string& family, const std::string& key,
                            const std::string& value) {
    with_raw_store(
        [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* handle) {
          EXPECT_TRUE(db.Put(rocksdb::WriteOptions{}, handle, key, value).ok());
        },
        family);
  }

  std::string get_behind_the_store(const std::string& family, const std::string& key) {
    std::string value;
    with_raw_store(
        [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* handle) {
          EXPECT_TRUE(db.Get(rocksdb::ReadOptions{}, handle, key, &value).ok());
        },
        family);
    return value;
  }

  template <class Use>
  void with_raw_store(Use use, const std::string& family) {
    const std::vector<std::string> names{"default", "runs",  "stories", "events", "audit",
                                         "meta",    "plans", "keys",    "steps"};
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions{});
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    rocksdb::DBOptions options;
    options.create_if_missing = options.create_missing_column_families = true;
    ASSERT_TRUE(rocksdb::DB::Open(options, path_, families, &handles, &db).ok());
    auto index = std::find(names.begin(), names.end(), family) - names.begin();
    use(*db, handles[static_cast<size_t>(index)]);
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }

  TempDir dir_;
  std::string path_ = dir_.path() + "/checkpoint";
};

TEST_F(StoreTest, WhatIsWrittenIsReadBackAfterReopening) {
  for (auto mode : {SyncMode::none, SyncMode::batch, SyncMode::every}) {
    TempDir dir;
    auto path = dir.path() + "/checkpoint";
    {
      auto store = Store::open({path, mode});
      ASSERT_TRUE(store) << error_message(store.error());
      Store::Batch batch;
      v1::RunStatus run;
      run.set_run_id("r1");
      run.set_plan_name("p");
      batch.put_run(run);
      batch.append_step(step("r1", {1}, "a", {ended("a", 2)}));
      EXPECT_EQ(batch.records(), 2u) << "the summary and one record of the step";
      EXPECT_GT(batch.bytes(), 0u);
      ASSERT_FALSE((*store)->write(batch));
      EXPECT_EQ(batch.records(), 0u) << "a written batch is empty again";
    }
    auto store = Store::open({path, mode});
    ASSERT_TRUE(store);
    auto run = (*store)->run("r1");
    ASSERT_TRUE(run) << to_string(mode);
    EXPECT_EQ(run->plan_name(), "p");
    auto stories = stories_of(**store, "r1");
    ASSERT_EQ(stories.count("a"), 1u);
    EXPECT_EQ(stories["a"].attempts(), 2u);
    EXPECT_EQ(seqs_of(**store, "r1"), std::vector<uint64_t>{1});
    EXPECT_GT((*store)->size_bytes(), 0u);
  }
}

TEST_F(StoreTest, EventsOfARunComeInSeqOrderAndOnlyItsOwn) {
  auto store = open();
  Store::Batch batch;
  // Steps out of order, and a run whose id extends another's.
  for (auto seqs : {std::vector<uint64_t>{3, 4}, {1, 2}, {300}}) batch.append_step(step("r", seqs));
  batch.append_step(step("r2", {1}, "x"));
  batch.append_step(step("q", {1}, "y"));
  ASSERT_FALSE(store->write(batch));
  EXPECT_EQ(seqs_of(*store, "r"), (std::vector<uint64_t>{1, 2, 3, 4, 300}));
  std::vector<uint64_t> seqs;
  ASSERT_FALSE(store->for_each_event("r", [&](const v1::StoryTransition& t) {
    seqs.push_back(t.seq());
    return seqs.size() < 2;
  }));
  EXPECT_EQ(seqs.size(), 2u) << "visiting stops when asked";
}

TEST_F(StoreTest, ALargeStepIsSplitIntoRecordsAndReadBackWhole) {
  auto store = open();
  v1::CheckpointRecords big;
  big.set_run_id("r");
  for (uint64_t seq = 1; seq <= 2500; ++seq) {
    auto id = "s" + std::to_string(seq);
    *big.add_transitions() = transition(seq, id);
    *big.add_stories() = ended(id);
  }
  Store::Batch batch;
  batch.append_step(big);
  EXPECT_EQ(batch.records(), 3u) << "1,024 transitions a record at most";
  ASSERT_FALSE(store->write(batch));
  auto seqs = seqs_of(*store, "r");
  ASSERT_EQ(seqs.size(), 2500u);
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  EXPECT_EQ(seqs.back(), 2500u);
  EXPECT_EQ(stories_of(*store, "r").size(), 2500u) << "every ended story, each once";
  int visited = 0;
  ASSERT_FALSE(
      store->for_each_story("r", [&](const v1::StoryStatus&) { return ++visited < 1500; }));
  EXPECT_EQ(visited, 1500) << "visiting stops when asked, within a record too";
}

// What a rad of schema 1 left: a record per event and per ended story.
TEST_F(StoreTest, ASchema1StoreIsReadAndUpgradedAndItsRunsGoOnInSteps) {
  for (uint64_t seq : {1, 2}) {
    auto t = transition(seq, "old");
    t.set_run_id("r");
    put_behind_the_store("events", event_key("r", seq), t.SerializeAsString());
  }
  put_behind_the_store("stories", story_key("r", "old"), ended("old").SerializeAsString());
  put_behind_the_store("meta", "schema_version", "1");
  {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(seqs_of(*store, "r"), (std::vector<uint64_t>{1, 2}));
    Store::Batch batch;
    batch.append_step(step("r", {3, 4}, "new", {ended("new")}));
    ASSERT_FALSE(store->write(batch));
    EXPECT_EQ(seqs_of(*store, "r"), (std::vector<uint64_t>{1, 2, 3, 4}))
        << "a resumed run: schema 1's events, then its steps'";
    auto stories = stories_of(*store, "r");
    EXPECT_EQ(stories.size(), 2u);
    EXPECT_EQ(stories.count("old"), 1u);
    EXPECT_EQ(stories.count("new"), 1u);
  }
  EXPECT_EQ(get_behind_the_store("meta", "schema_version"), "2")
      << "a rad of schema 1 must now refuse the store rather than miss its steps";
}

TEST_F(StoreTest, StoriesThatEndedWithoutATransitionAreKeptAllTheSame) {
  auto store = open();
  Store::Batch batch;
  batch.append_step(step("r", {}, "s", {ended("a"), ended("b")}));
  EXPECT_EQ(batch.records(), 2u) << "no step to key them by: a record each";
  ASSERT_FALSE(store->write(batch));
  auto stories = stories_of(*store, "r");
  EXPECT_EQ(stories.size(), 2u);
  EXPECT_EQ(stories.count("a") + stories.count("b"), 2u);
  EXPECT_TRUE(seqs_of(*store, "r").empty());
}

TEST_F(StoreTest, AnUnreadableStepIsAnErrorOfItsReadersNotASilentGap) {
  {
    auto store = open();
    Store::Batch batch;
    batch.append_step(step("r", {1}, "a", {ended("a")}));
    ASSERT_FALSE(store->write(batch));
  }
  // A transition field whose length runs past the record's end.
  put_behind_the_store("steps", event_key("r", 2), std::string{"\x12\x7f\x08\x01", 4});
  auto store = open();
  int seen = 0;
  auto err = store->for_each_event("r", [&](const v1::StoryTransition&) { return ++seen; });
  EXPECT_EQ(error_message(err), "checkpoint store " + path_ +
                                    " holds unreadable steps of run 'r'; radctl checkpoint "
                                    "verify tells what");
  EXPECT_EQ(seen, 1) << "the readable step before it was visited";
  EXPECT_TRUE(store->for_each_story("r", [](const v1::StoryStatus&) { return true; }))
      << "stories are read past the transitions, which must still parse as fields";
}

TEST_F(StoreTest, MissingRecordsAreNotFound) {
  auto store = open();
  auto run = store->run("nope");
  ASSERT_FALSE(run);
  EXPECT_TRUE(is(run.error(), Errc::not_found));
}

TEST_F(StoreTest, ANewerSchemaIsRefusedWithWhatToDo) {
  open().reset();
  put_behind_the_store("meta", "schema_version", "99");  // what a future rad would leave
  auto store = Store::open({path_, SyncMode::batch});
  ASSERT_FALSE(store);
  EXPECT_EQ(exit_code_for(store.error()), 2);
  EXPECT_EQ(error_message(store.error()),
            "checkpoint store " + path_ +
                " has schema version 99, newer than this rad's 2; run a "
                "newer rad on it, or point --data-dir elsewhere");
}

TEST_F(StoreTest, ADamagedStoreIsDetectedAtOpen) {
  {
    auto store = open();
    Store::Batch batch;
    batch.append_step(step("r", {1}));
    ASSERT_FALSE(store->write(batch));
  }
  // The file that names the current manifest, overwritten with garbage.
  std::ofstream{path_ + "/CURRENT", std::ios::trunc} << "MANIFEST-garbage\n";
  auto store = Store::open({path_, SyncMode::batch});
  ASSERT_FALSE(store);
  EXPECT_EQ(error_message(store.error()).rfind("checkpoint store " + path_, 0), 0u)
      << error_message(store.error());
}

TEST_F(StoreTest, ATruncatedTableFileIsDetectedAtOpen) {
  {
    auto store = open();
    Store::Batch batch;
    for (uint64_t seq = 1; seq <= 1000; ++seq) batch.append_step(step("r", {seq}));
    ASSERT_FALSE(store->write(batch));
    ASSERT_TRUE(store->compact({}, false)) << "flushes the records into a table file";
  }
  std::string table;
  for (const auto& f : std::filesystem::directory_iterator{path_})
    if (f.path().extension() == ".sst" &&
        (table.empty() || f.file_size() > std::filesystem::file_size(table)))
      table = f.path();
  ASSERT_FALSE(table.empty());
  std::filesystem::resize_file(table, std::filesystem::file_size(table) / 2);
  auto store = Store::open({path_, SyncMode::batch});
  ASSERT_FALSE(store) << "a torn table file must not go unnoticed";
  EXPECT_NE(error_message(store.error()).find("checkpoint store " + path_ + " is damaged"),
            std::string::npos)
      << error_message(store.error());
}

TEST_F(StoreTest, VerifyFindsARecordThatDoesNotParse) {
  {
    auto store = open();
    Store::Batch batch;
    batch.append_step(step("r", {1}));
    ASSERT_FALSE(store->write(batch));
  }
  {
    auto ro = Store::open_read_only(path_);
    ASSERT_TRUE(ro) << error_message(ro.error());
    auto report = (*ro)->verify();
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->damaged.empty());
    EXPECT_EQ(report->records["steps"], 1u);
    EXPECT_EQ(report->records["events"], 0u) << "schema 1's family, no longer written";
  }
  put_behind_the_store("stories", "r", "\xff\xff not protobuf");
  auto ro = Store::open_read_only(path_);
  ASSERT_TRUE(ro);
  auto report = (*ro)->verify();
  ASSERT_TRUE(report);
  ASSERT_EQ(report->damaged.size(), 1u);
  EXPECT_EQ(report->damaged[0], "stories: 72");
}

TEST_F(StoreTest, CompactionKeepsSummariesAndDropsOldFinishedRunsDetails) {
  auto store = open();
  auto write_run = [&](const std::string& id, v1::RunState state, int64_t finished_at) {
    Store::Batch batch;
    v1::RunStatus run;
    run.set_run_id(id);
    run.set_state(state);
    run.mutable_finished_at()->set_seconds(finished_at);
    batch.put_run(run);
    v1::Plan plan;
    plan.set_name(id);
    batch.put_plan(id, plan);
    for (int i = 0; i < 100; ++i) {
      auto story = "s" + std::to_string(i);
      batch.append_step(step(id, {static_cast<uint64_t>(i) + 1}, story, {ended(story)}));
    }
    ASSERT_FALSE(store->write(batch));
  };
  write_run("old1", v1::RUN_STATE_SUCCEEDED, 1000);
  write_run("old2", v1::RUN_STATE_FAILED, 2000);
  write_run("newest", v1::RUN_STATE_SUCCEEDED, 3000);
  write_run("running", v1::RUN_STATE_RUNNING, 0);

  Store::Retention retention;
  retention.keep_runs = 1;
  retention.keep_for = std::chrono::seconds{0};
  auto dry = store->compact(retention, true);
  ASSERT_TRUE(dry) << error_message(dry.error());
  EXPECT_TRUE(dry->dry_run());
  EXPECT_EQ(dry->runs_pruned(), 2u);
  EXPECT_EQ(dry->records_deleted(), 2u * 101) << "per run: 100 steps and the plan";
  EXPECT_EQ(stories_of(*store, "old1").size(), 100u) << "a dry run deletes nothing";

  auto done = store->compact(retention, false);
  ASSERT_TRUE(done) << error_message(done.error());
  EXPECT_EQ(done->runs_pruned(), 2u);
  EXPECT_LT(done->bytes_after(), done->bytes_before());
  for (const char* gone : {"old1", "old2"}) {
    EXPECT_TRUE(store->run(gone)) << "the summary stays";
    EXPECT_TRUE(stories_of(*store, gone).empty());
    EXPECT_FALSE(store->plan(gone));
    int events = 0;
    ASSERT_FALSE(store->for_each_event(gone, [&](const v1::StoryTransition&) { return ++events; }));
    EXPECT_EQ(events, 0);
  }
  for (const char* kept : {"newest", "running"}) {
    EXPECT_EQ(stories_of(*store, kept).count("s99"), 1u) << kept;
    EXPECT_TRUE(store->plan(kept)) << kept;
  }
  auto again = store->compact(retention, false);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->runs_pruned(), 0u) << "pruned runs are not pruned twice";
}

TEST_F(StoreTest, ARunAndItsIdempotencyKeyAreWrittenTogetherAndFoundAfterReopening) {
  for (auto mode : {SyncMode::none, SyncMode::batch, SyncMode::every}) {
    SCOPED_TRACE(to_string(mode));
    TempDir dir;
    auto path = dir.path() + "/checkpoint";
    {
      auto store = Store::open({path, mode});
      ASSERT_TRUE(store) << error_message(store.error());
      Store::Batch batch;
      auto [run, key] = keyed_run("r1", "order-42");
      batch.put_run(run, key);
      EXPECT_EQ(batch.records(), 2u) << "the summary and the key";
      ASSERT_FALSE((*store)->write(batch));
    }
    auto store = Store::open({path, mode});
    ASSERT_TRUE(store) << error_message(store.error());
    auto key = (*store)->idempotency_key("order-42");
    ASSERT_TRUE(key) << error_message(key.error());
    EXPECT_EQ(key->run_id(), "r1");
    EXPECT_EQ(key->plan_sha256(), std::string(32, '\x5a'))
        << "what a retry's plan is checked against";
    auto run = (*store)->run("r1");
    ASSERT_TRUE(run);
    EXPECT_EQ(run->idempotency_key(), "order-42") << "the summary names its key too";
    auto none = (*store)->idempotency_key("order-43");
    ASSERT_FALSE(none);
    EXPECT_TRUE(is(none.error(), Errc::not_found)) << error_message(none.error());
  }
}

TEST_F(StoreTest, AFailedWriteStoresNeitherTheRunNorItsKey) {
  auto faults = std::make_shared<WriteFaults>();
  auto opened = Store::open({path_, SyncMode::every, faults});
  ASSERT_TRUE(opened) << error_message(opened.error());
  auto store = std::move(*opened);
  WriteFaults::Options full;
  full.probability = 1;
  full.disk_full = true;
  faults->arm(full);
  Store::Batch batch;
  auto [run, key] = keyed_run("r1", "k");
  batch.put_run(run, key);
  ASSERT_TRUE(store->write(batch));
  faults->disarm();
  EXPECT_FALSE(store->run("r1"));
  EXPECT_FALSE(store->idempotency_key("k")) << "a key never names a run that was not stored";
  ASSERT_FALSE(store->write(batch)) << "the writer's retry";
  EXPECT_TRUE(store->run("r1"));
  EXPECT_TRUE(store->idempotency_key("k"));
}

TEST_F(StoreTest, CompactionKeepsTheKeysOfRunsItPrunes) {
  auto store = open();
  Store::Batch batch;
  auto [run, key] = keyed_run("old", "k-old");
  run.set_state(v1::RUN_STATE_SUCCEEDED);
  run.mutable_finished_at()->set_seconds(1000);
  batch.put_run(run, key);
  batch.put_plan("old", v1::Plan{});
  batch.append_step(step("old", {1}));
  ASSERT_FALSE(store->write(batch));
  Store::Retention retention;
  retention.keep_runs = 0;
  retention.keep_for = std::chrono::seconds{0};
  auto done = store->compact(retention, false);
  ASSERT_TRUE(done) << error_message(done.error());
  ASSERT_EQ(done->runs_pruned(), 1u);
  EXPECT_FALSE(store->plan("old")) << "the details went";
  auto kept = store->idempotency_key("k-old");
  ASSERT_TRUE(kept) << "the key stays with the summary: a late retry still finds its run";
  EXPECT_EQ(kept->run_id(), "old");
  auto report = store->verify();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->records["keys"], 1u);
  EXPECT_TRUE(report->damaged.empty());
}

TEST_F(StoreTest, SyncModesByName) {
  EXPECT_EQ(*sync_mode_from("none"), SyncMode::none);
  EXPECT_EQ(*sync_mode_from("batch"), SyncMode::batch);
  EXPECT_EQ(*sync_mode_from("every"), SyncMode::every);
  auto bad = sync_mode_from("always");
  ASSERT_FALSE(bad);
  EXPECT_EQ(error_message(bad.error()), "sync mode 'always' is not one of none, batch, every");
}

// A real full disk: the store on a small tmpfs, filled by a file until no
// byte is left.
class StoreOnAFullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs_.mounted()) GTEST_SKIP() << fs_.error();
    auto store = Store::open({path_, SyncMode::batch});
    ASSERT_TRUE(store) << error_message(store.error());
    store_ = std::move(*store);
    for (int i = 0; i < 100; ++i) ASSERT_FALSE(write_next());
  }

  // Writes the next transition; what it commits is remembered.
  caf::error write_next() {
    Store::Batch batch;
    batch.append_step(step("r", {++seq_}, std::string(200, 's')));
    auto err = store_->write(batch);
    if (!err)
      committed_.push_back(seq_);
    else
      refused_ = std::move(batch);
    return err;
  }

  std::vector<uint64_t> stored_seqs(const Store& store) { return seqs_of(store, "r"); }

  // Fills the disk, then writes until the store notices: the last page of
  // its log may still take a record or two.
  void fill_until_a_write_fails() {
    ASSERT_TRUE(fs_.fill()) << fs_.error();
    for (int i = 0; i < 10000 && !failed_; ++i) failed_ = write_next();
    ASSERT_TRUE(failed_) << "the store never noticed the full disk";
  }

  TempDir dir_;
  test::Tmpfs fs_{dir_.path() + "/fs", 8u << 20};
  std::string path_ = fs_.path() + "/checkpoint";
  std::unique_ptr<Store> store_;
  uint64_t seq_ = 0;
  std::vector<uint64_t> committed_;
  caf::error failed_;
  Store::Batch refused_;
};

TEST_F(StoreOnAFullDisk, AWriteFailsSayingSoAndWhatWasCommittedStays) {
  fill_until_a_write_fails();
  EXPECT_TRUE(is(failed_, Errc::io_error));
  EXPECT_EQ(error_message(failed_), "checkpoint store " + path_ +
                                        " cannot be written: the disk is full; free space there, "
                                        "rad resumes by itself");
  EXPECT_FALSE(store_->writable());
  EXPECT_EQ(error_message(store_->write_error()), error_message(failed_));
  EXPECT_EQ(refused_.records(), 1u) << "a refused batch keeps its records for the next try";
  EXPECT_EQ(stored_seqs(*store_), committed_);
  EXPECT_GT(committed_.size(), 100u - 1);
  EXPECT_TRUE(store_->recover()) << "the disk is still full";
  EXPECT_TRUE(store_->write(refused_)) << "the disk is still full";
  EXPECT_FALSE(store_->writable());
}

TEST_F(StoreOnAFullDisk, OnceSpaceReturnsTheNextWriteSucceedsAndNothingIsLost) {
  fill_until_a_write_fails();
  auto refused_seq = seq_;
  // The writer tries again and again while the disk is full.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(store_->write(refused_));
  fs_.unfill();
  ASSERT_FALSE(store_->write(refused_)) << error_message(store_->write_error());
  committed_.push_back(refused_seq);
  EXPECT_TRUE(store_->writable());
  EXPECT_FALSE(store_->write_error());
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(write_next());
  EXPECT_EQ(stored_seqs(*store_), committed_);
  store_.reset();
  auto reopened = Store::open({path_, SyncMode::batch});
  ASSERT_TRUE(reopened) << error_message(reopened.error());
  EXPECT_EQ(stored_seqs(**reopened), committed_) << "and after reopening";
}

TEST_F(StoreOnAFullDisk, OpeningANewStoreThereSaysTheDiskIsFull) {
  ASSERT_TRUE(fs_.fill()) << fs_.error();
  auto other = Store::open({fs_.path() + "/other", SyncMode::batch});
  ASSERT_FALSE(other);
  EXPECT_EQ(error_message(other.error()), "checkpoint store " + fs_.path() +
                                              "/other: cannot open it: the disk is full; free "
                                              "space there and try again");
}

// In `every` mode each record is a write of its own, but a run and its key
// are one: whichever write the full disk stops, no run is left without its
// key and no key without its run. The pairs themselves fill the disk, so
// that the last ones meet it full; with keys of several lengths, the disk
// fills up in the middle of a pair in some of them.
TEST_F(StoreOnAFullDisk, ARunAndItsKeyAreOneWriteEvenInEveryMode) {
  store_.reset();
  for (size_t key_length : {8, 40, 72, 100, 128}) {
    SCOPED_TRACE("keys of " + std::to_string(key_length) + " bytes");
    auto path = fs_.path() + "/every-" + std::to_string(key_length);
    auto store = Store::open({path, SyncMode::every});
    ASSERT_TRUE(store) << error_message(store.error());
    auto key_of = [&](size_t i) {
      auto n = std::to_string(i);
      return std::string(key_length - std::min(key_length, n.size()), 'k') + n;
    };
    size_t written = 0;
    caf::error failed;
    for (; written < 200000 && !failed; ++written) {
      Store::Batch batch;
      auto [run, key] = keyed_run("run-" + std::to_string(written), key_of(written));
      batch.put_run(run, key);
      failed = (*store)->write(batch);
    }
    ASSERT_TRUE(failed) << "the disk never filled";
    EXPECT_NE(error_message(failed).find("the disk is full"), std::string::npos)
        << error_message(failed);
    // What the store holds is what its writes committed (reads go on when
    // writes fail).
    size_t stored = 0;
    for (size_t i = 0; i < written; ++i) {
      bool has_run = static_cast<bool>((*store)->run("run-" + std::to_string(i)));
      bool has_key = static_cast<bool>((*store)->idempotency_key(key_of(i)));
      EXPECT_EQ(has_run, has_key) << "run-" << i << " of " << written;
      stored += has_run;
    }
    EXPECT_EQ(stored, written - 1) << "every write but the failed one";
    store->reset();
    std::filesystem::remove_all(path);  // the space back for the next
  }
}

TEST_F(StoreOnAFullDisk, RecoverAloneFindsTheSpaceBackWithoutAWrite) {
  fill_until_a_write_fails();
  fs_.unfill();
  ASSERT_FALSE(store_->recover());
  EXPECT_TRUE(store_->writable());
  ASSERT_FALSE(write_next());
  EXPECT_EQ(stored_seqs(*store_), committed_);
}

}  // namespace
}  // namespace rad
