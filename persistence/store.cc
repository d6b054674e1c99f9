#include "persistence/store.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <thread>

#include "persistence/rocksdb_log.h"
#include "runtime/clock.h"
#include "runtime/error.h"

namespace rad {
namespace {

// Column family order: the handles vector follows it.
// New families go last: a store made before them gets them at its next open.
enum Family {
  kDefault,
  kRuns,
  kStories,  // schema 1 only: read, no longer written
  kEvents,   // schema 1 only: read, no longer written
  kAudit,
  kMeta,
  kPlans,
  kKeys,
  kSteps,
  kFamilies
};
constexpr std::array<const char*, kFamilies> kFamilyNames = {
    "default", "runs", "stories", "events", "audit", "meta", "plans", "keys", "steps"};
// At most this many transitions per step record: a step of 10,000 stories is
// a few records of ~100 KB, not one of 3 MB that a reader must parse whole.
constexpr int kTransitionsPerRecord = 1024;
constexpr const char* kSchemaKey = "schema_version";
constexpr const char* kAgentNodesKey = "agent_nodes";
// A read-only open races the node's compactions (a table file it read of may
// be gone): a damaged store fails every time, a race not.
constexpr int kReadOnlyOpenTries = 5;

void append_be64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string serialized(const google::protobuf::Message& m) {
  std::string out;
  m.SerializeToString(&out);
  return out;
}

// Appends `m` to `out` as field `field` of the message `out` holds: protobuf's
// wire format for an embedded message. A step record is so built from the
// Run's own messages, none copied.
void append_field(std::string& out, int field, const google::protobuf::MessageLite& m) {
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  auto size = m.ByteSizeLong();
  uint8_t head[16];
  uint8_t* end = CodedOutputStream::WriteTagToArray(
      WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED), head);
  end = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(size), end);
  out.append(reinterpret_cast<const char*>(head), static_cast<size_t>(end - head));
  auto at = out.size();
  out.resize(at + size);
  m.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out.data() + at));
}

caf::error store_error(const std::string& path, const rocksdb::Status& s, const char* doing) {
  if (s.IsCorruption())
    return make_error(Errc::io_error, "checkpoint store " + path + " is damaged (" + s.ToString() +
                                          "); radctl checkpoint verify tells what, or restore a "
                                          "backup");
  if (s.IsNoSpace())
    return make_error(Errc::io_error, "checkpoint store " + path + ": cannot " + doing +
                                          ": the disk is full; free space there and try again");
  return make_error(Errc::io_error, std::string{"checkpoint store "} + path + ": cannot " + doing +
                                        ": " + s.ToString());
}

// Why a write failed, as the store's writer tells it to people: the writer
// (the Checkpoint actor) tries again by itself, so they only need to know what
// to fix.
caf::error write_failure(const std::string& path, const rocksdb::Status& s) {
  if (s.IsNoSpace())
    return make_error(Errc::io_error, "checkpoint store " + path +
                                          " cannot be written: the disk is full; free space "
                                          "there, rad resumes by itself");
  if (s.IsCorruption()) return store_error(path, s, "write");
  return make_error(Errc::io_error, "checkpoint store " + path + " cannot be written (" +
                                        s.ToString() + "); rad tries again every second");
}

// RocksDB would recover from a full disk by itself once its SstFileManager
// sees space again (polled every 5 s), and meanwhile answer DB::Resume() with
// Busy. Store::recover() is the one way out instead: its caller decides when.
class NoAutoRecovery : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

}  // namespace

caf::expected<SyncMode> sync_mode_from(std::string_view name) {
  if (name == "none") return SyncMode::none;
  if (name == "batch") return SyncMode::batch;
  if (name == "every") return SyncMode::every;
  return make_error(Errc::invalid_input,
                    "sync mode '" + std::string{name} + "' is not one of none, batch, every");
}

const char* to_string(SyncMode mode) {
  switch (mode) {
    case SyncMode::none:
      return "none";
    case SyncMode::batch:
      return "batch";
    case SyncMode::every:
      return "every";
  }
  return "?";
}

std::string story_key(std::string_view run_id, std::string_view story_id) {
  std::string key{run_id};
  key.push_back('\0');
  key.append(story_id);
  return key;
}

std::string event_key(std::string_view run_id, uint64_t seq) {
  std::string key{run_id};
  key.push_back('\0');
  append_be64(key, seq);
  return key;
}

// -- Batch --------------------------------------------------------------------

struct Store::Batch::Rep {
  // Records by family, applied in one WriteBatch (or one each, in `every`
  // mode, where a record `with_previous` goes in the same write as the one
  // before it).
  struct Record {
    Family family;
    std::string key, value;
    bool with_previous = false;
  };
  std::vector<Record> records;
  size_t bytes = 0;
  void add(Family f, std::string key, std::string value, bool with_previous = false) {
    bytes += key.size() + value.size();
    records.push_back({f, std::move(key), std::move(value), with_previous});
  }
};

Store::Batch::Batch() : rep_(std::make_unique<Rep>()) {}
Store::Batch::~Batch() = default;
Store::Batch::Batch(Batch&&) noexcept = default;
Store::Batch& Store::Batch::operator=(Batch&&) noexcept = default;

void Store::Batch::put_run(const v1::RunStatus& run) {
  rep_->add(kRuns, run.run_id(), serialized(run));
  ++records_;
}

void Store::Batch::put_run(const v1::RunStatus& run, const v1::IdempotencyKey& key) {
  put_run(run);
  rep_->add(kKeys, key.key(), serialized(key), true);
  ++records_;
}

void Store::Batch::put_plan(const std::string& run_id, const v1::Plan& plan) {
  rep_->add(kPlans, run_id, serialized(plan));
  ++records_;
}

void Store::Batch::append_step(const v1::CheckpointRecords& step) {
  const auto& transitions = step.transitions();
  const auto& stories = step.stories();
  // A record is keyed by its first transition. The Run never ends a story
  // without one; stories that came alone would get records of their own in
  // `stories`, which readers read as well.
  if (transitions.empty()) {
    for (const auto& story : stories) {
      rep_->add(kStories, story_key(step.run_id(), story.id()), serialized(story));
      ++records_;
    }
    return;
  }
  int records = (transitions.size() + kTransitionsPerRecord - 1) / kTransitionsPerRecord;
  for (int r = 0; r < records; ++r) {
    int first = r * kTransitionsPerRecord;
    int last = std::min(first + kTransitionsPerRecord, transitions.size());
    std::string value;
    for (int i = first; i < last; ++i)
      append_field(value, v1::StoryStep::kTransitionsFieldNumber, transitions[i]);
    // The stories go with the record of their own transition's chunk, the
    // last one taking any rest.
    int stories_last = r + 1 == records ? stories.size() : std::min(last, stories.size());
    for (int i = std::min(first, stories.size()); i < stories_last; ++i)
      append_field(value, v1::StoryStep::kStoriesFieldNumber, stories[i]);
    rep_->add(kSteps, event_key(step.run_id(), transitions[first].seq()), std::move(value));
    ++records_;
  }
}

void Store::Batch::append_audit(uint64_t seq, const v1::AuditRecord& record) {
  std::string key;
  append_be64(key, seq);
  rep_->add(kAudit, std::move(key), serialized(record));
  ++records_;
}

void Store::Batch::put_agent_nodes(const v1::AgentNodes& nodes) {
  rep_->add(kMeta, kAgentNodesKey, serialized(nodes));
  ++records_;
}

size_t Store::Batch::bytes() const { return rep_->bytes; }

// -- Store --------------------------------------------------------------------

namespace {

// Every family's memtables and blocks within the store's bounds (store.h).
rocksdb::ColumnFamilyOptions bounded_family_options() {
  static const auto cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  rocksdb::ColumnFamilyOptions options;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// An event's key is its run's prefix and a big-endian sequence number
// (event_key), and a run's events are written in order: with this as the
// events' insert-hint prefix, the memtable inserts each next to the last of
// its run instead of searching its skip list from the top (a tenth of the
// coordinator's time went there at 100,000 stories/s).
class RunPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "rad.RunPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return {key.data(), key.size() - sizeof(uint64_t)};
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > sizeof(uint64_t); }
};

rocksdb::ColumnFamilyOptions family_options_of(Family f) {
  auto options = bounded_family_options();
  if (f == kSteps || f == kEvents)
    options.memtable_insert_with_hint_prefix_extractor = std::make_shared<RunPrefix>();
  return options;
}

}  // namespace

// A directory of a reading instance's own (RocksDB keeps its info log there),
// removed with it.
struct OwnDir {
  std::string path;
  ~OwnDir() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};

struct Store::Rep {
  OwnDir reader_dir;  // declared first: removed once the db is closed
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  // Handles first, then the db: RocksDB wants them released before it closes.
  void close() {
    for (auto* h : families) db->DestroyColumnFamilyHandle(h);
    families.clear();
    db.reset();
  }
  ~Rep() { close(); }
  rocksdb::Status put_schema_version() {
    rocksdb::WriteOptions w;
    w.sync = true;
    return db->Put(w, families[kMeta], kSchemaKey, std::to_string(kSchemaVersion));
  }
};

Store::Store(StoreOptions options, std::unique_ptr<Rep> rep)
    : options_(std::move(options)), rep_(std::move(rep)) {}

Store::~Store() = default;

caf::expected<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  // Sized for a node, not a database server: two cores.
  db_options.IncreaseParallelism(2);
  db_options.listeners.push_back(std::make_shared<NoAutoRecovery>());
  db_options.info_log = open_rocksdb_log(options.path);
  db_options.db_write_buffer_size = kMemtableBudget;
  // RocksDB reserves a write-ahead log as large as the memtable budget: a disk
  // that fills up would take writes into that reserve and be seen full only
  // megabytes later. Without it, the first write that finds no space fails,
  // and the node stops admitting work then.
  db_options.allow_fallocate = false;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (size_t f = 0; f < kFamilyNames.size(); ++f)
    descriptors.emplace_back(kFamilyNames[f], family_options_of(static_cast<Family>(f)));
  auto rep = std::make_unique<Rep>();
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(db_options, options.path, descriptors, &rep->families, &db);
  if (!s.ok()) return store_error(options.path, s, "open it");
  rep->db.reset(db);

  std::string version;
  s = rep->db->Get(rocksdb::ReadOptions{}, rep->families[kMeta], kSchemaKey, &version);
  if (s.IsNotFound()) {
    s = rep->put_schema_version();
    if (!s.ok()) return store_error(options.path, s, "write its schema version");
  } else if (!s.ok()) {
    return store_error(options.path, s, "read its schema version");
  } else if (version.empty() || version.find_first_not_of("0123456789") != std::string::npos) {
    return make_error(Errc::io_error, "checkpoint store " + options.path +
                                          " is damaged: its schema version reads '" +
                                          version.substr(0, 20) +
                                          "'; radctl checkpoint verify tells what, or restore a "
                                          "backup");
  } else if (version.size() > 9 || std::stoul(version) > kSchemaVersion) {
    return make_error(Errc::invalid_input,
                      "checkpoint store " + options.path + " has schema version " + version +
                          ", newer than this rad's " + std::to_string(kSchemaVersion) +
                          "; run a newer rad on it, or point --data-dir elsewhere");
  } else if (std::stoul(version) < kSchemaVersion) {
    // From now on it holds records an older rad cannot read: that rad must
    // refuse it rather than miss them.
    s = rep->put_schema_version();
    if (!s.ok()) return store_error(options.path, s, "upgrade its schema version");
  }
  return std::unique_ptr<Store>{new Store(options, std::move(rep))};
}

caf::expected<std::unique_ptr<Store>> Store::open_read_only(const std::string& path) {
  rocksdb::DBOptions db_options;
  db_options.paranoid_checks = true;
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
  if (!s.ok()) return store_error(path, s, "open it");
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kFamilyNames)
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions{});
  for (const auto& name : names)
    if (std::find(kFamilyNames.begin(), kFamilyNames.end(), name) == kFamilyNames.end())
      return make_error(Errc::invalid_input, "checkpoint store " + path + " has a column family '" +
                                                 name +
                                                 "' this rad does not know; run a newer rad");
  auto rep = std::make_unique<Rep>();
  rocksdb::DB* db = nullptr;
  // Families this store lacks (older layout) cannot be opened read-only.
  std::vector<rocksdb::ColumnFamilyDescriptor> present;
  for (auto& d : descriptors)
    if (std::find(names.begin(), names.end(), d.name) != names.end()) present.push_back(d);
  if (present.size() != descriptors.size())
    return make_error(
        Errc::invalid_input,
        "checkpoint store " + path + " lacks column families; open it once with rad-node");
  // A secondary instance, not a read-only one: the node may flush while this
  // opens, and a read-only open then misses what was in the log it deleted
  // (a live 100,000-story run read so lacked 12,542 of its ends). Every table
  // file is opened now: the node's compactions may delete them later without
  // harm. One may vanish while this opens: then it tries again.
  db_options.max_open_files = -1;
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "rad-store-reader-XXXXXX").string();
  if (!::mkdtemp(dir_template.data()))
    return make_error(Errc::io_error, "cannot make a directory in " +
                                          std::filesystem::temp_directory_path().string() +
                                          " to read the checkpoint store " + path +
                                          "; check TMPDIR");
  rep->reader_dir.path = dir_template;
  for (int tries = 0;; ++tries) {
    db = nullptr;
    s = rocksdb::DB::OpenAsSecondary(db_options, path, rep->reader_dir.path, present,
                                     &rep->families, &db);
    rep->db.reset(db);
    if (s.ok()) s = rep->db->TryCatchUpWithPrimary();
    if (s.ok()) break;
    rep->close();
    if (tries == kReadOnlyOpenTries) return store_error(path, s, "open it");
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return std::unique_ptr<Store>{new Store(StoreOptions{path, SyncMode::none}, std::move(rep))};
}

// A write the hook fails fails as the same status from RocksDB would.
caf::error Store::asked_hook() {
  if (!options_.write_hook) return {};
  auto s = options_.write_hook->before_write();
  if (s.ok()) return {};
  return write_error_ = write_failure(options_.path, s);
}

// What a WriteBatch holds besides keys and values: its header (sequence and
// count), and per record a tag, a family id and two length varints.
constexpr size_t kWriteBatchHeader = 12;
constexpr size_t kRecordOverhead = 16;

caf::error Store::write(Batch& batch) {
  auto& records = batch.rep_->records;
  if (records.empty()) return {};
  if (auto err = recover()) return err;
  if (auto err = asked_hook()) return err;
  rocksdb::WriteOptions w;
  w.sync = options_.sync != SyncMode::none;
  rocksdb::Status s;
  if (options_.sync == SyncMode::every) {
    // One write per record, but records that belong together in one.
    for (size_t i = 0; i < records.size() && s.ok();) {
      rocksdb::WriteBatch group;
      do {
        group.Put(rep_->families[records[i].family], records[i].key, records[i].value);
      } while (++i < records.size() && records[i].with_previous);
      s = rep_->db->Write(w, &group);
    }
  } else {
    // Sized once: grown record by record, a write of 20,000 records copied
    // its buffer a dozen times and faulted in fresh pages each time (6% of a
    // busy coordinator's samples in WriteBatch::Put).
    rocksdb::WriteBatch wb(kWriteBatchHeader + batch.rep_->bytes +
                           records.size() * kRecordOverhead);
    for (auto& r : records) wb.Put(rep_->families[r.family], r.key, r.value);
    s = rep_->db->Write(w, &wb);
  }
  if (!s.ok()) return write_error_ = write_failure(options_.path, s);
  records.clear();
  batch.rep_->bytes = 0;
  batch.records_ = 0;
  return {};
}

caf::error Store::recover() {
  if (writable()) return {};
  if (auto err = asked_hook()) return err;
  auto s = rep_->db->Resume();
  if (s.ok()) {
    // Resume() succeeds without writing anything when there was nothing to
    // flush: only a write tells whether the disk takes records again.
    s = rep_->put_schema_version();
  }
  if (!s.ok()) return write_error_ = write_failure(options_.path, s);
  write_error_ = caf::error{};
  return {};
}

namespace {

template <class Message>
caf::expected<Message> get(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                           const std::string& key, const std::string& path, const char* what) {
  std::string value;
  auto s = db.Get(rocksdb::ReadOptions{}, family, key, &value);
  if (s.IsNotFound())
    return make_error(Errc::not_found, std::string{"no "} + what + " in the store");
  if (!s.ok()) return store_error(path, s, "read");
  Message m;
  if (!m.ParseFromString(value))
    return make_error(Errc::io_error, "checkpoint store " + path + " holds an unreadable " + what +
                                          "; radctl checkpoint verify tells what");
  return m;
}

}  // namespace

caf::expected<v1::RunStatus> Store::run(const std::string& run_id) const {
  return get<v1::RunStatus>(*rep_->db, rep_->families[kRuns], run_id, options_.path,
                            ("run '" + run_id + "'").c_str());
}

caf::expected<v1::Plan> Store::plan(const std::string& run_id) const {
  return get<v1::Plan>(*rep_->db, rep_->families[kPlans], run_id, options_.path,
                       ("plan of run '" + run_id + "'").c_str());
}

caf::expected<v1::IdempotencyKey> Store::idempotency_key(const std::string& key) const {
  return get<v1::IdempotencyKey>(*rep_->db, rep_->families[kKeys], key, options_.path,
                                 "run of that idempotency key");
}

caf::expected<v1::AgentNodes> Store::agent_nodes() const {
  auto nodes = get<v1::AgentNodes>(*rep_->db, rep_->families[kMeta], kAgentNodesKey, options_.path,
                                   "list of agent nodes");
  if (!nodes && is(nodes.error(), Errc::not_found)) return v1::AgentNodes{};
  return nodes;
}

caf::error Store::for_each_run(const std::function<bool(const v1::RunStatus&)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it{
      rep_->db->NewIterator(rocksdb::ReadOptions{}, rep_->families[kRuns])};
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::RunStatus run;
    if (!run.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
      return make_error(Errc::io_error,
                        "checkpoint store " + options_.path + " holds an unreadable run summary");
    if (!visit(run)) break;
  }
  if (!it->status().ok()) return store_error(options_.path, it->status(), "read runs");
  return {};
}

namespace {

// What a reader of a run's records does after one.
enum class Scan { go_on, stop, unreadable };

// Visits the values of the run's records in `family`, in key order, until
// `visit` says stop; an error names the run and what was read. Scan::stop
// when a visit stopped it.
caf::expected<Scan> scan_run(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                             const std::string& path, const std::string& run_id, const char* what,
                             const std::function<Scan(const rocksdb::Slice&)>& visit) {
  std::string prefix = run_id;
  prefix.push_back('\0');
  std::unique_ptr<rocksdb::Iterator> it{db.NewIterator(rocksdb::ReadOptions{}, family)};
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto next = visit(it->value());
    if (next == Scan::unreadable)
      return make_error(Errc::io_error, "checkpoint store " + path + " holds unreadable " + what +
                                            " of run '" + run_id +
                                            "'; radctl checkpoint verify tells what");
    if (next == Scan::stop) return Scan::stop;
  }
  if (!it->status().ok())
    return store_error(path, it->status(), ("read " + std::string{what}).c_str());
  return Scan::go_on;
}

template <class Message>
bool parse(Message& m, const rocksdb::Slice& value) {
  return m.ParseFromArray(value.data(), static_cast<int>(value.size()));
}

// Visits the messages of one field of a StoryStep record, the other field
// skipped unparsed: a reader of stories needs none of the transitions
// around them, and a reader of events none of the stories.
template <class Record>
Scan scan_step_field(const rocksdb::Slice& value, int field,
                     const std::function<bool(Record&)>& visit) {
  using google::protobuf::internal::WireFormatLite;
  const auto* data = reinterpret_cast<const uint8_t*>(value.data());
  google::protobuf::io::CodedInputStream in{data, static_cast<int>(value.size())};
  while (!in.ExpectAtEnd()) {
    auto tag = in.ReadTag();
    if (tag == 0) return Scan::unreadable;
    if (WireFormatLite::GetTagFieldNumber(tag) != field ||
        WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&in, tag)) return Scan::unreadable;
      continue;
    }
    uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return Scan::unreadable;
    auto at = static_cast<size_t>(in.CurrentPosition());
    if (length > value.size() - at) return Scan::unreadable;
    Record record;
    if (!record.ParseFromArray(data + at, static_cast<int>(length))) return Scan::unreadable;
    if (!in.Skip(static_cast<int>(length))) return Scan::unreadable;
    if (!visit(record)) return Scan::stop;
  }
  return Scan::go_on;
}

// Schema 1's records of a run (one per event, one per ended story), then its
// steps' (schema 2). A run stored by a rad before steps and resumed by this
// one has both, the older ones first: their seqs are the lower ones.
template <class Record>
caf::error scan_both(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* schema1,
                     rocksdb::ColumnFamilyHandle* steps, const std::string& path,
                     const std::string& run_id, const char* what,
                     const std::function<bool(Record&)>& visit, int step_field) {
  auto old = scan_run(db, schema1, path, run_id, what, [&](const rocksdb::Slice& value) {
    Record record;
    if (!parse(record, value)) return Scan::unreadable;
    return visit(record) ? Scan::go_on : Scan::stop;
  });
  if (!old) return old.error();
  if (*old == Scan::stop) return {};
  auto steps_read = scan_run(db, steps, path, run_id, "steps", [&](const rocksdb::Slice& value) {
    return scan_step_field(value, step_field, visit);
  });
  return steps_read ? caf::error{} : steps_read.error();
}

}  // namespace

caf::error Store::for_each_event(
    const std::string& run_id, const std::function<bool(const v1::StoryTransition&)>& visit) const {
  return scan_both<v1::StoryTransition>(
      *rep_->db, rep_->families[kEvents], rep_->families[kSteps], options_.path, run_id, "events",
      [&](v1::StoryTransition& t) {
        t.set_run_id(run_id);  // left out of step records
        return visit(t);
      },
      v1::StoryStep::kTransitionsFieldNumber);
}

caf::error Store::for_each_story(const std::string& run_id,
                                 const std::function<bool(const v1::StoryStatus&)>& visit) const {
  return scan_both<v1::StoryStatus>(
      *rep_->db, rep_->families[kStories], rep_->families[kSteps], options_.path, run_id, "stories",
      [&](v1::StoryStatus& story) { return visit(story); }, v1::StoryStep::kStoriesFieldNumber);
}

namespace {

bool parses(Family family, const rocksdb::Slice& value) {
  auto parse = [&](google::protobuf::Message&& m) {
    return m.ParseFromArray(value.data(), static_cast<int>(value.size()));
  };
  switch (family) {
    case kRuns:
      return parse(v1::RunStatus{});
    case kStories:
      return parse(v1::StoryStatus{});
    case kEvents:
      return parse(v1::StoryTransition{});
    case kSteps:
      return parse(v1::StoryStep{});
    case kAudit:
      return parse(v1::AuditRecord{});
    case kPlans:
      return parse(v1::Plan{});
    case kKeys:
      return parse(v1::IdempotencyKey{});
    default:
      return true;
  }
}

std::string hex(const rocksdb::Slice& key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < key.size() && i < 64; ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

}  // namespace

caf::expected<v1::BackupReport> Store::backup(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(rep_->db.get(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint{raw};
  // Memtables are flushed first: the copy needs no write-ahead log.
  if (s.ok()) s = checkpoint->CreateCheckpoint(dir, 0);
  if (!s.ok()) return store_error(options_.path, s, ("back it up to " + dir).c_str());
  v1::BackupReport report;
  report.set_path(dir);
  *report.mutable_taken_at() = now_timestamp();
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator{dir, ec})
    if (f.is_regular_file(ec)) report.set_bytes(report.bytes() + f.file_size(ec));
  return report;
}

caf::expected<Store::Verification> Store::verify() const {
  Verification out;
  auto s = rep_->db->VerifyChecksum();
  if (!s.ok()) out.damaged.push_back("checksums: " + s.ToString());
  for (int f = kRuns; f < kFamilies; ++f) {
    auto family = static_cast<Family>(f);
    auto& count = out.records[kFamilyNames[f]];
    std::unique_ptr<rocksdb::Iterator> it{
        rep_->db->NewIterator(rocksdb::ReadOptions{}, rep_->families[family])};
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++count;
      if (!parses(family, it->value()))
        out.damaged.push_back(std::string{kFamilyNames[f]} + ": " + hex(it->key()));
    }
    if (!it->status().ok())
      out.damaged.push_back(std::string{kFamilyNames[f]} + ": " + it->status().ToString());
  }
  return out;
}

caf::expected<v1::CompactionReport> Store::compact(const Retention& retention, bool dry_run) {
  v1::CompactionReport report;
  report.set_dry_run(dry_run);
  rocksdb::FlushOptions flush;
  flush.wait = true;
  for (auto* family : rep_->families) rep_->db->Flush(flush, family);
  report.set_bytes_before(size_bytes());

  // Finished runs, newest first by when they finished.
  std::vector<std::pair<int64_t, std::string>> finished;
  auto err = for_each_run([&](const v1::RunStatus& run) {
    if (run.state() == v1::RUN_STATE_SUCCEEDED || run.state() == v1::RUN_STATE_FAILED ||
        run.state() == v1::RUN_STATE_CANCELLED)
      finished.emplace_back(run.finished_at().seconds(), run.run_id());
    return true;
  });
  if (err) return err;
  std::sort(finished.rbegin(), finished.rend());
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::vector<std::string> prune;
  for (size_t i = 0; i < finished.size(); ++i) {
    bool young = now - finished[i].first < retention.keep_for.count();
    if (i >= retention.keep_runs && !young) prune.push_back(finished[i].second);
  }
  // A run's idempotency key (family `keys`) stays with its summary, which is
  // never dropped: a retry of a submit must find its run for as long as the
  // run is known at all, and a key costs no more than the summary does.
  uint64_t deleted = 0, pruned_bytes = 0;
  uint32_t runs_pruned = 0;
  for (const auto& run_id : prune) {
    uint64_t before = deleted;
    std::string begin = run_id, end = run_id;
    begin.push_back('\0');
    end.push_back('\1');
    for (Family f : {kStories, kEvents, kSteps}) {
      rocksdb::Range range{begin, end};
      uint64_t bytes = 0;
      rep_->db->GetApproximateSizes(rep_->families[f], &range, 1, &bytes);
      pruned_bytes += bytes;
      std::unique_ptr<rocksdb::Iterator> it{
          rep_->db->NewIterator(rocksdb::ReadOptions{}, rep_->families[f])};
      for (it->Seek(begin); it->Valid() && it->key().compare(end) < 0; it->Next()) ++deleted;
      if (!dry_run) {
        auto s = rep_->db->DeleteRange(rocksdb::WriteOptions{}, rep_->families[f], begin, end);
        if (!s.ok()) return store_error(options_.path, s, "delete a finished run's records");
      }
    }
    std::string plan;
    if (rep_->db->Get(rocksdb::ReadOptions{}, rep_->families[kPlans], run_id, &plan).ok())
      ++deleted;
    if (deleted > before) ++runs_pruned;  // not pruned already
    if (!dry_run) {
      auto s = rep_->db->Delete(rocksdb::WriteOptions{}, rep_->families[kPlans], run_id);
      if (!s.ok()) return store_error(options_.path, s, "delete a finished run's plan");
    }
  }
  report.set_runs_pruned(runs_pruned);
  report.set_records_deleted(deleted);
  if (dry_run) {
    report.set_bytes_after(
        report.bytes_before() > pruned_bytes ? report.bytes_before() - pruned_bytes : 0);
    return report;
  }
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* family : rep_->families) {
    auto s = rep_->db->CompactRange(options, family, nullptr, nullptr);
    if (!s.ok()) return store_error(options_.path, s, "compact");
  }
  report.set_bytes_after(size_bytes());
  return report;
}

uint64_t Store::size_bytes() const {
  uint64_t total = 0;
  for (auto* family : rep_->families) {
    uint64_t sst = 0;
    rep_->db->GetIntProperty(family, rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
    total += sst;
  }
  uint64_t mem = 0;
  rep_->db->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &mem);
  return total + mem;
}

uint64_t Store::pending_compaction_bytes() const {
  uint64_t bytes = 0;
  rep_->db->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimatePendingCompactionBytes,
                                     &bytes);
  return bytes;
}

}  // namespace rad
