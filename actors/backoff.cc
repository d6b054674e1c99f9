#include "actors/backoff.h"

#include <algorithm>
#include <cmath>

namespace rad {

uint32_t max_attempts_of(const v1::Story& story) {
  return story.max_attempts() > 0 ? story.max_attempts() : kDefaultMaxAttempts;
}

std::chrono::milliseconds backoff_delay(const v1::Backoff& b, uint32_t failed, double unit_random) {
  double initial = b.initial_ms() > 0 ? static_cast<double>(b.initial_ms())
                                      : static_cast<double>(kDefaultBackoffInitial.count());
  double cap = b.max_ms() > 0 ? static_cast<double>(b.max_ms())
                              : static_cast<double>(kDefaultBackoffMax.count());
  double multiplier = b.multiplier() >= 1 ? b.multiplier() : kDefaultBackoffMultiplier;
  double jitter = b.jitter() > 0 ? std::min(b.jitter(), 1.0) : kDefaultBackoffJitter;
  // The exponent is bounded so that the power cannot overflow before the cap.
  double exponent = std::min<double>(std::max<uint32_t>(failed, 1) - 1, 64);
  double delay = std::min(initial * std::pow(multiplier, exponent), cap);
  double factor = 1 + jitter * (2 * std::clamp(unit_random, 0.0, 1.0) - 1);
  return std::chrono::milliseconds{static_cast<int64_t>(std::llround(delay * factor))};
}

}  // namespace rad
