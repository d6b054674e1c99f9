// The checkpoint store: RocksDB, one column family per kind of record, values
// in protobuf wire format, keys that sort one run into one range.
//
//   runs     RUN                      -> rad.v1.RunStatus (the run's summary)
//   plans    RUN                      -> rad.v1.Plan (what a restart resumes)
//   steps    RUN \0 SEQ (8 bytes, BE) -> rad.v1.StoryStep: one step of the run,
//                                       its transitions from SEQ on and the
//                                       stories that ended in it (append only)
//   audit    SEQ (8 bytes, BE)        -> rad.v1.AuditRecord
//   keys     IDEMPOTENCY KEY          -> rad.v1.IdempotencyKey (the run it made)
//   meta     "schema_version"         -> decimal
//            "agent_nodes"            -> rad.v1.AgentNodes (who may still run agents)
//
// Schema 1 wrote a record per transition (`events`, RUN \0 SEQ ->
// StoryTransition) and per ended story (`stories`, RUN \0 STORY ->
// StoryStatus): two RocksDB records per story step, each a memtable insert and
// a key to compact, and most of a busy coordinator's store time. Schema 2
// writes one record per step of a run instead (up to 1,024 transitions each),
// and still reads schema 1's records: a store opened here is upgraded in place.
//
//   auto store = Store::open({dir + "/checkpoint", SyncMode::batch});
//   Store::Batch batch;
//   batch.append_step(records);   // a Run's step: its transitions and ended stories
//   if (auto err = (*store)->write(batch)) ...   // durable per the sync mode now
//
// One writer (the Checkpoint actor); reads may come from any thread.
//
// Memory is bounded, whatever the records: they grow with every run until a
// compaction drops old runs' details, but a node that lives for months must
// not. Memtables of all families share kMemtableBudget (one is flushed when it
// is used up) and data, index and filter blocks share one cache of
// kBlockCacheBytes per process. With RocksDB's defaults (64 MB of memtable per
// family, 8 families, the index blocks of every table file held) the
// coordinator's RSS grew by 2.6 MB per 1,000 small runs (docs/BENCHMARKS.md,
// soak). No file space is reserved ahead (fallocate): a full disk fails the
// first write that needs space.
#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/write_hook.h"
#include "rad/v1/audit.pb.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"

namespace rad {

enum class SyncMode {
  none,   // the OS decides when the write-ahead log reaches the disk
  batch,  // one fsync per write(): a group of transitions (the default)
  every,  // one fsync per record (a step of a run is one per 1,024 transitions)
};

caf::expected<SyncMode> sync_mode_from(std::string_view name);
const char* to_string(SyncMode mode);

inline constexpr uint32_t kSchemaVersion = 2;

inline constexpr size_t kMemtableBudget = 8 << 20;
inline constexpr size_t kBlockCacheBytes = 16 << 20;

struct StoreOptions {
  // The store's directory, e.g. DATA_DIR/checkpoint.
  std::string path;
  SyncMode sync = SyncMode::batch;
  // Asked before each write (persistence/write_hook.h); null, the default:
  // nothing is asked.
  std::shared_ptr<StoreWriteHook> write_hook = nullptr;
};

class Store {
 public:
  // Opens (creating if missing) the store. Errors: a store of a newer schema
  // version, a damaged or unreadable store, each naming the directory and what
  // to do.
  static caf::expected<std::unique_ptr<Store>> open(const StoreOptions& options);
  // For tools: reads a store, also while its node has it open and writes to
  // it (as of the moment it opened: a RocksDB secondary instance, with its
  // own scratch directory under TMPDIR); never writes.
  static caf::expected<std::unique_ptr<Store>> open_read_only(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Records written together: all or none, durable per the sync mode once
  // write() returns.
  class Batch {
   public:
    Batch();
    ~Batch();
    Batch(Batch&&) noexcept;
    Batch& operator=(Batch&&) noexcept;

    void put_run(const v1::RunStatus& run);
    // The run's summary and the idempotency key it was submitted with: one
    // atomic write in every sync mode (`every` too), so that a stored run
    // always has its key and a key never names a run that was not stored.
    void put_run(const v1::RunStatus& run, const v1::IdempotencyKey& key);
    void put_plan(const std::string& run_id, const v1::Plan& plan);
    // The step's transitions (in seq order) and the final states of the
    // stories that ended in it, under its run id; the rest of `step` is not
    // written here. Its transitions' run ids are left out.
    void append_step(const v1::CheckpointRecords& step);
    void append_audit(uint64_t seq, const v1::AuditRecord& record);
    // Replaces the nodes that hosted agents in the coordinator's last view.
    void put_agent_nodes(const v1::AgentNodes& nodes);

    size_t records() const { return records_; }
    size_t bytes() const;

   private:
    friend class Store;
    struct Rep;
    std::unique_ptr<Rep> rep_;
    size_t records_ = 0;
  };

  // After a failed write it first recovers (below); the error of a full disk
  // says so.
  caf::error write(Batch& batch);

  // The writer's view: false from a failed write (a full disk, an I/O error)
  // until a write or recover() succeeds. write_error() is then why, one line
  // naming the directory and what to do.
  bool writable() const { return !write_error_; }
  const caf::error& write_error() const { return write_error_; }
  // Once a write failed, RocksDB refuses every write until its error state is
  // cleared: clears it (DB::Resume, which flushes the memtables, so nothing
  // committed is lost), then proves the store takes a synced write. Nothing to
  // do while writable.
  caf::error recover();

  // Errc::not_found when there is no such run.
  caf::expected<v1::RunStatus> run(const std::string& run_id) const;
  caf::expected<v1::Plan> plan(const std::string& run_id) const;
  // The run an idempotency key made; Errc::not_found when no run has it.
  caf::expected<v1::IdempotencyKey> idempotency_key(const std::string& key) const;
  // The nodes that hosted agents when the coordinator last wrote them; none
  // in a new store.
  caf::expected<v1::AgentNodes> agent_nodes() const;
  // Every run's summary, in run id order; stops early when `visit` returns false.
  caf::error for_each_run(const std::function<bool(const v1::RunStatus&)>& visit) const;
  // Every event of the run, in seq order, each with its run id; stops early
  // when `visit` returns false.
  caf::error for_each_event(const std::string& run_id,
                            const std::function<bool(const v1::StoryTransition&)>& visit) const;

  // The final state of every story of the run that ended, in the order they
  // were written; stops early when `visit` returns false.
  caf::error for_each_story(const std::string& run_id,
                            const std::function<bool(const v1::StoryStatus&)>& visit) const;

  struct Verification {
    // Records per column family, and the ones that do not parse, as
    // "FAMILY: KEY (hex)".
    std::map<std::string, uint64_t> records;
    std::vector<std::string> damaged;
  };
  // Reads every record and checks every block checksum.
  caf::expected<Verification> verify() const;

  // Which finished runs keep their details (stories, events, plan); the
  // others keep only their summary, and their idempotency key. A run is kept if it is among the
  // newest `keep_runs` finished ones or finished less than `keep_for` ago.
  struct Retention {
    size_t keep_runs = 100;
    std::chrono::seconds keep_for{24 * 3600};
  };
  // Drops what retention allows (DeleteRange per run), then compacts every
  // column family; bytes are measured with memtables flushed. Dry: counts
  // what would go and estimates the size after.
  caf::expected<v1::CompactionReport> compact(const Retention& retention, bool dry_run);

  // A consistent copy of the store in `dir` (which must not exist), taken
  // while it is in use: hard links where `dir` is on the same file system.
  // The copy opens like any store.
  caf::expected<v1::BackupReport> backup(const std::string& dir);

  // Estimated bytes held: SST files, and memtables not yet flushed to them.
  uint64_t size_bytes() const;
  // RocksDB's estimate of the bytes its compactions still have to rewrite.
  uint64_t pending_compaction_bytes() const;
  const StoreOptions& options() const { return options_; }

 private:
  struct Rep;
  Store(StoreOptions options, std::unique_ptr<Rep> rep);
  // The write hook's answer; an error also makes the store unwritable.
  caf::error asked_hook();

  StoreOptions options_;
  std::unique_ptr<Rep> rep_;
  caf::error write_error_;
};

// The keys, exposed for tools and tests.
std::string story_key(std::string_view run_id, std::string_view story_id);
std::string event_key(std::string_view run_id, uint64_t seq);

}  // namespace rad
