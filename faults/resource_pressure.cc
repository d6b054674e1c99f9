#include "faults/resource_pressure.h"

#include <unistd.h>

#include <algorithm>

namespace rad {

std::unique_ptr<ResourcePressure> ResourcePressure::start(unsigned cpu_threads,
                                                          size_t memory_bytes) {
  std::unique_ptr<ResourcePressure> p{new ResourcePressure};
  p->memory_.resize(std::min(memory_bytes, kMaxPressureBytes));
  auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  // Writing one byte of every page makes it resident.
  for (size_t at = 0; at < p->memory_.size(); at += page) p->memory_[at] = 1;
  for (unsigned i = 0; i < std::min(cpu_threads, kMaxPressureThreads); ++i)
    p->threads_.emplace_back([stop = &p->stop_] {
      volatile unsigned long spin = 0;
      while (!stop->load(std::memory_order_relaxed)) spin = spin + 1;
    });
  return p;
}

ResourcePressure::~ResourcePressure() {
  stop_ = true;
  for (auto& t : threads_) t.join();
}

}  // namespace rad
