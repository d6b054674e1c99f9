// The random numbers of chaos: SplitMix64 streams. A stream is a function of
// its seed alone and gives the same numbers on every platform and standard
// library (std:: distributions do not), which is what replaying a seed needs.
//
//   Draws draws{seed, fault_index};   // one stream per fault
//   if (draws.unit() < probability) ...
#pragma once

#include <cstdint>

namespace rad {

class Draws {
 public:
  explicit Draws(uint64_t seed, uint64_t stream = 0)
      : state_{seed ^ (0x9E3779B97F4A7C15ull * (stream + 1))} {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // In [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace rad
