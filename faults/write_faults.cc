#include "faults/write_faults.h"

#include "faults/chaos_metrics.h"

namespace rad {

void WriteFaults::arm(const Options& options) {
  std::lock_guard<std::mutex> guard{mutex_};
  options_ = options;
  random_.seed(options.seed);
  full_ = false;
  armed_ = true;
}

void WriteFaults::disarm() {
  std::lock_guard<std::mutex> guard{mutex_};
  armed_ = false;
  full_ = false;
}

rocksdb::Status WriteFaults::before_write() {
  if (!armed_.load(std::memory_order_relaxed)) return rocksdb::Status::OK();
  std::lock_guard<std::mutex> guard{mutex_};
  if (std::chrono::steady_clock::now() >= options_.until) {
    armed_ = false;
    full_ = false;
    return rocksdb::Status::OK();
  }
  bool fails =
      full_ || std::uniform_real_distribution<double>{0, 1}(random_) < options_.probability;
  if (!fails) return rocksdb::Status::OK();
  ++chaos_tally().checkpoint_write_failures;
  // What RocksDB itself would answer.
  if (!options_.disk_full) return rocksdb::Status::IOError("write failed (injected by chaos)");
  full_ = true;
  return rocksdb::Status::NoSpace("no space left on device (injected by chaos)");
}

}  // namespace rad
