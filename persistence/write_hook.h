// A seam of the checkpoint store (persistence/store.h), as RocksDB's Env and
// FileSystemWrapper are of RocksDB: code the store does not own is asked
// before each write whether the disk takes it. Store::write() and
// Store::recover() call before_write() first; a status other than OK fails
// that write exactly as the same status from RocksDB would, before any record
// of it reaches RocksDB. With no hook (the default) nothing is asked.
//
//   StoreOptions options{dir + "/checkpoint", SyncMode::batch};
//   options.write_hook = hook;            // hook->before_write() on each write
//   auto store = Store::open(options);
#pragma once

#include <rocksdb/status.h>

namespace rad {

class StoreWriteHook {
 public:
  virtual ~StoreWriteHook() = default;
  // On the store's one writer thread (the Checkpoint actor's), while the
  // hook may be changed from another: an implementation locks what it shares.
  virtual rocksdb::Status before_write() = 0;
};

}  // namespace rad
