// SIGINT and SIGTERM (and SIGUSR1, which the process raises itself to stop
// on a fatal error) as events to wait for, rather than handlers.
//
// Construct before starting any thread: the signals are blocked in the calling
// thread, so every thread started afterwards inherits the mask and the signals
// stay pending until wait() takes them.
#pragma once

#include <chrono>
#include <optional>

namespace rad {

class ShutdownSignals {
 public:
  ShutdownSignals();
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Blocks until one of the signals arrives; returns its number.
  int wait();

  // As wait(), giving up after `timeout`.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
};

const char* signal_name(int signo);

}  // namespace rad
