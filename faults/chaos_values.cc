#include "faults/chaos_values.h"

#include <sstream>

#include "faults/resource_pressure.h"

namespace rad {
namespace {

void check_fraction(const std::string& path, double value, std::vector<std::string>& out) {
  if (auto problem = fraction_problem(path, value); !problem.empty()) out.push_back(problem);
}

void check_at_most(const std::string& path, uint64_t value, uint64_t most, const char* unit,
                   std::vector<std::string>& out) {
  if (value <= most) return;
  out.push_back(path + ": " + std::to_string(value) + " is over " + std::to_string(most) + unit);
}

}  // namespace

std::string fraction_problem(const std::string& path, double value) {
  if (value >= 0.0 && value <= 1.0) return {};
  std::ostringstream reason;
  reason << path << ": " << value << " is not in [0, 1]";
  return reason.str();
}

std::vector<std::string> fault_value_problems(const v1::ChaosCommand& c, const std::string& at) {
  std::vector<std::string> out;
  check_fraction(at + ".probability", c.probability(), out);
  switch (c.fault_case()) {
    case v1::ChaosCommand::kKillAgent:
      check_fraction(at + ".kill_agent.fraction", c.kill_agent().fraction(), out);
      break;
    case v1::ChaosCommand::kLink:
      check_fraction(at + ".link.drop_probability", c.link().drop_probability(), out);
      check_fraction(at + ".link.duplicate_probability", c.link().duplicate_probability(), out);
      check_at_most(at + ".link.delay_ms + delay_jitter_ms",
                    c.link().delay_ms() + c.link().delay_jitter_ms(),
                    static_cast<uint64_t>(kMaxLinkDelay.count()), " ms", out);
      break;
    case v1::ChaosCommand::kPressure:
      check_at_most(at + ".pressure.cpu_threads", c.pressure().cpu_threads(), kMaxPressureThreads,
                    "", out);
      check_at_most(at + ".pressure.memory_bytes", c.pressure().memory_bytes(), kMaxPressureBytes,
                    " bytes", out);
      break;
    case v1::ChaosCommand::kCheckpointFailure:
      check_fraction(at + ".checkpoint_failure.probability", c.checkpoint_failure().probability(),
                     out);
      break;
    default:
      break;
  }
  return out;
}

}  // namespace rad
