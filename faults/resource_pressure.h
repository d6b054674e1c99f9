// CPU and memory pressure on this process, for chaos (docs/CHAOS.md): busy
// threads and touched memory, held until the object goes.
//
//   auto pressure = ResourcePressure::start(2, 256 << 20);  // 2 spinning threads, 256 MiB
//   ...
//   pressure.reset();                                       // released
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace rad {

// Memory of one pressure at most: pressure is a test of admission and
// placement, not of the host's OOM killer.
inline constexpr size_t kMaxPressureBytes = size_t{8} << 30;
inline constexpr unsigned kMaxPressureThreads = 64;

class ResourcePressure {
 public:
  // Spins `cpu_threads` threads and holds `memory_bytes`, every page written
  // so that it is resident (both clamped to the maxima above).
  static std::unique_ptr<ResourcePressure> start(unsigned cpu_threads, size_t memory_bytes);
  ~ResourcePressure();

  size_t memory_bytes() const { return memory_.size(); }
  size_t cpu_threads() const { return threads_.size(); }

 private:
  ResourcePressure() = default;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::vector<char> memory_;
};

}  // namespace rad
