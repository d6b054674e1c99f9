#include "actors/drivers/mock_driver.h"

#include <algorithm>
#include <functional>
#include <random>

namespace rad {
namespace {

// SplitMix64: a full-quality 64-bit generator whose whole state is one word,
// so seeding it per attempt costs nothing (std::mt19937_64 fills 2.5 KB).
class SplitMix64 {
 public:
  using result_type = uint64_t;
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace

MockAttempt plan_mock_attempt(const v1::MockDriver& mock, const std::string& run_id,
                              const std::string& story_id, uint32_t attempt) {
  // One engine per attempt, seeded from everything that identifies it.
  std::hash<std::string> h;
  uint64_t seed = mock.seed() ^ (h(run_id) * 0x9e3779b97f4a7c15ULL) ^ (h(story_id) << 1) ^ attempt;
  SplitMix64 rng{seed};
  MockAttempt out;
  double mean = static_cast<double>(mock.duration_ms());
  double ms = mean;
  switch (mock.distribution()) {
    case v1::MockDriver::UNIFORM:
      ms = std::uniform_real_distribution<double>{0, 2 * mean}(rng);
      break;
    case v1::MockDriver::EXPONENTIAL:
      ms = mean > 0 ? std::exponential_distribution<double>{1.0 / mean}(rng) : 0;
      break;
    default:
      break;
  }
  out.duration = std::chrono::milliseconds{static_cast<int64_t>(ms)};
  bool forced_failure = attempt <= mock.fail_first_attempts();
  double rate = std::clamp(mock.failure_rate(), 0.0, 1.0);
  out.succeeds = !forced_failure && std::uniform_real_distribution<double>{0, 1}(rng) >= rate;
  out.output.assign(std::min<uint64_t>(mock.output_bytes(), 1u << 20), 'x');
  return out;
}

}  // namespace rad
