#include "runtime/shutdown_signals.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace rad {
namespace {

sigset_t shutdown_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

ShutdownSignals::ShutdownSignals() {
  sigset_t set = shutdown_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ShutdownSignals::~ShutdownSignals() = default;

int ShutdownSignals::wait() {
  sigset_t set = shutdown_set();
  int signo = 0;
  while (sigwait(&set, &signo) != 0) {
  }
  return signo;
}

std::optional<int> ShutdownSignals::wait_for(std::chrono::milliseconds timeout) {
  sigset_t set = shutdown_set();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timespec ts{static_cast<time_t>(secs.count()),
              static_cast<long>(std::chrono::nanoseconds(timeout - secs).count())};
  for (;;) {
    int signo = sigtimedwait(&set, nullptr, &ts);
    if (signo > 0) return signo;
    if (errno == EAGAIN) return std::nullopt;
    // EINTR: another signal interrupted us; wait again.
  }
}

const char* signal_name(int signo) {
  switch (signo) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "signal";
  }
}

}  // namespace rad
