#include "persistence/write_faults.h"

#include "runtime/chaos_metrics.h"

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

WriteFaults::Failure WriteFaults::draw() {
  if (!armed_.load(std::memory_order_relaxed)) return Failure::none;
  std::lock_guard<std::mutex> guard{mutex_};
  if (std::chrono::steady_clock::now() >= options_.until) {
    armed_ = false;
    full_ = false;
    return Failure::none;
  }
  bool fails =
      full_ || std::uniform_real_distribution<double>{0, 1}(random_) < options_.probability;
  if (!fails) return Failure::none;
  ++chaos_tally().checkpoint_write_failures;
  if (!options_.disk_full) return Failure::io_error;
  full_ = true;
  return Failure::no_space;
}

}  // namespace rad
