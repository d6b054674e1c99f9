// RocksDB's own log (the LOG file in the store's directory), written so that
// a full disk costs log lines and never the process: the Debian build of
// RocksDB 7.8 keeps its assertions, and its file logger asserts when it logs
// again after a failed write, which a full disk makes certain.
#pragma once

#include <rocksdb/env.h>

#include <memory>
#include <string>

namespace rad {

// Appends to DIR/LOG; the previous LOG is kept as DIR/LOG.old. Null when the
// file cannot be opened (RocksDB then logs nowhere).
std::shared_ptr<rocksdb::Logger> open_rocksdb_log(const std::string& dir);

}  // namespace rad
