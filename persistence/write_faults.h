// Checkpoint write failures injected by chaos (docs/CHAOS.md): while armed,
// each write of the store fails with a probability, as an I/O error or a full
// disk would, and nothing of it reaches RocksDB. Disarmed by default; set and
// read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>

namespace rad {

class WriteFaults {
 public:
  enum class Failure { none, io_error, no_space };

  struct Options {
    double probability = 0;  // per write, in [0, 1]
    bool disk_full = false;  // no_space rather than io_error
    std::chrono::steady_clock::time_point until = std::chrono::steady_clock::time_point::max();
    uint64_t seed = 1;
  };

  void arm(const Options& options);
  void disarm();

  // What the next write meets (counted in chaos_tally()). A full disk stays
  // full: while armed with disk_full, every write after the first failed one
  // fails too.
  Failure draw();

 private:
  std::mutex mutex_;
  std::atomic<bool> armed_{false};
  Options options_;
  std::mt19937_64 random_{1};
  bool full_ = false;
};

}  // namespace rad
