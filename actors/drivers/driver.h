// Drivers run one attempt of a story. The mock driver only waits, so its Agent
// keeps a timer and needs no thread (actors/agent.h). A driver that blocks
// while it works (exec; llm next) implements BlockingDriver and runs on an
// Agent with a thread of its own, around its pre- and postconditions.
#pragma once

#include <memory>
#include <string>

#include "actors/drivers/subprocess.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/run.pb.h"

namespace rad {

struct AttemptOutcome {
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
  int32_t exit_code = 0;
  std::string output;  // capped by the driver
  std::string error;   // one line when not succeeded
};

class BlockingDriver {
 public:
  virtual ~BlockingDriver() = default;
  // Runs the attempt; returns when it is done, timed out (request.story().timeout_ms())
  // or cancelled through `cancel`.
  virtual AttemptOutcome run(const v1::SpawnRequest& request, const CancelToken& cancel) = 0;
};

// The blocking driver of `story` when real drivers are on (agents.use_real), or
// null: the mock driver runs it.
std::unique_ptr<BlockingDriver> blocking_driver_for(const v1::Story& story, bool use_real);

}  // namespace rad
