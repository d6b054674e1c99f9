// Delays between attempts of a story: exponential, capped, with jitter so that
// stories failing together do not retry in lockstep.
#pragma once

#include <chrono>
#include <cstdint>

#include "rad/v1/plan.pb.h"

namespace rad {

// Defaults of fields a plan leaves zero.
inline constexpr uint32_t kDefaultMaxAttempts = 3;
inline constexpr std::chrono::milliseconds kDefaultBackoffInitial{1000};
inline constexpr std::chrono::milliseconds kDefaultBackoffMax{30000};
inline constexpr double kDefaultBackoffMultiplier = 2.0;
inline constexpr double kDefaultBackoffJitter = 0.2;

// Attempts a story gets in all.
uint32_t max_attempts_of(const v1::Story& story);

// The delay before attempt `failed + 1`, after `failed` (>= 1) failed ones:
// min(initial * multiplier^(failed-1), max), then scaled by a factor in
// [1 - jitter, 1 + jitter] chosen by `unit_random` in [0, 1).
std::chrono::milliseconds backoff_delay(const v1::Backoff& backoff, uint32_t failed,
                                        double unit_random);

}  // namespace rad
