// Drivers run one attempt of a story. The mock driver only waits, so its Agent
// keeps a timer (actors/agent.h); the exec driver's commands run on the node's
// CommandRunner (start_exec_attempt). What either tells of an attempt's end:
#pragma once

#include <string>

#include "rad/v1/cluster.pb.h"
#include "rad/v1/run.pb.h"

namespace rad {

struct AttemptOutcome {
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
  int32_t exit_code = 0;
  std::string output;  // capped by the driver
  std::string error;   // one line when not succeeded
};

}  // namespace rad
