// Exclusive ownership of a node's data dir, held for the life of the process.
//
// The lock is flock(2) on DIR/LOCK: the kernel drops it when the holder dies,
// however it dies, so a stale LOCK file left by a kill -9 is never a reason to
// refuse. The file names the holder, for the error the next process prints.
#pragma once

#include <caf/expected.hpp>
#include <memory>
#include <string>

namespace rad {

class DataDirLock {
 public:
  // Creates `dir` if needed and locks it. Fails with Errc::in_use and
  // "data dir DIR is in use by pid P on host H" when another process holds it.
  static caf::expected<std::unique_ptr<DataDirLock>> acquire(const std::string& dir);

  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  const std::string& dir() const { return dir_; }

 private:
  DataDirLock(std::string dir, int fd) : dir_(std::move(dir)), fd_(fd) {}

  std::string dir_;
  int fd_;
};

}  // namespace rad
