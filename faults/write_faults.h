// Checkpoint write failures (docs/CHAOS.md): while armed, each write of the
// store fails with a probability, as an I/O error or a full disk would, and
// nothing of it reaches RocksDB. WriteFaults is the store's write hook
// (persistence/write_hook.h), given in its StoreOptions; disarmed, it lets
// every write through. Armed and read from any thread.
//
//   auto faults = std::make_shared<WriteFaults>();
//   auto store = Store::open({dir, SyncMode::batch, faults});
//   faults->arm({.probability = 1, .disk_full = true});  // writes fail: disk full
//   faults->disarm();                                    // they succeed again
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>

#include "persistence/write_hook.h"

namespace rad {

class WriteFaults : public StoreWriteHook {
 public:
  struct Options {
    double probability = 0;  // per write, in [0, 1]
    bool disk_full = false;  // NoSpace rather than IOError
    std::chrono::steady_clock::time_point until = std::chrono::steady_clock::time_point::max();
    uint64_t seed = 1;
  };

  void arm(const Options& options);
  void disarm();

  // What the next write meets: OK, or the failure drawn (counted in
  // chaos_tally()). A full disk stays full: while armed with disk_full, every
  // write after the first failed one fails too.
  rocksdb::Status before_write() override;

 private:
  std::mutex mutex_;
  std::atomic<bool> armed_{false};
  Options options_;
  std::mt19937_64 random_{1};
  bool full_ = false;
};

}  // namespace rad
