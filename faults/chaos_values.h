// The values of a chaos command that every reader checks the same way: a
// scenario file for each of its faults (chaos/scenario.h), and a node before
// it applies one (faults/chaos.h). Targets are the scenario's business.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "rad/v1/chaos.pb.h"

namespace rad {

// A link fault delays a message at most this long (delay plus jitter): the
// delayed ones wait in memory.
inline constexpr std::chrono::milliseconds kMaxLinkDelay{60000};

// "PATH: VALUE is not in [0, 1]", or empty when `value` is in [0, 1].
std::string fraction_problem(const std::string& path, double value);

// Every problem of the command's values, each "AT.FIELD: REASON": fractions
// and probabilities in [0, 1], link delays up to kMaxLinkDelay, pressure
// within kMaxPressureThreads and kMaxPressureBytes.
std::vector<std::string> fault_value_problems(const v1::ChaosCommand& command,
                                              const std::string& at);

}  // namespace rad
