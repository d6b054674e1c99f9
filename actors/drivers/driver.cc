#include "actors/drivers/driver.h"

#include "actors/drivers/exec_driver.h"
#include "runtime/config.h"

namespace rad {
namespace {

class ExecCommandDriver : public BlockingDriver {
 public:
  AttemptOutcome run(const v1::SpawnRequest& request, const CancelToken& cancel) override {
    std::chrono::milliseconds timeout{request.story().timeout_ms()};
    auto result =
        run_subprocess(exec_spec(request.story().exec(), timeout, process_environment()), cancel);
    auto outcome = exec_outcome(result);
    return {outcome.outcome, result.exit_code, std::move(outcome.output), std::move(outcome.error)};
  }
};

}  // namespace

std::unique_ptr<BlockingDriver> blocking_driver_for(const v1::Story& story, bool use_real) {
  if (use_real && story.has_exec()) return std::make_unique<ExecCommandDriver>();
  return nullptr;
}

}  // namespace rad
