#include "actors/drivers/subprocess.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <future>

#include "actors/drivers/command_runner.h"
#include "actors/drivers/fd.h"

namespace rad {

struct CancelToken::State {
  std::atomic<bool> cancelled{false};
  Fd wait;  // an eventfd, polled by runners; never read back
};

CancelToken::CancelToken() : state_(std::make_shared<State>()) {
  state_->wait.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

void CancelToken::cancel() const {
  if (state_->cancelled.exchange(true)) return;
  uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(state_->wait.get(), &one, sizeof one);
}

bool CancelToken::cancelled() const { return state_->cancelled.load(); }

int CancelToken::wait_fd() const { return state_->wait.get(); }

SubprocessResult run_subprocess(const SubprocessSpec& spec, const CancelToken& cancel) {
  std::promise<SubprocessResult> promise;
  auto result = promise.get_future();
  shared_command_runner()->start(
      spec, cancel, [&promise](SubprocessResult r) { promise.set_value(std::move(r)); });
  return result.get();
}

}  // namespace rad
