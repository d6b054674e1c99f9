// A value an actor publishes for other threads to read without asking it.
// The HTTP handlers answer from what was published last, so a busy actor
// (a long mailbox, a slow write) never holds an answer up: reading is one
// mutex-guarded copy of a shared_ptr to an immutable value.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace rad {

template <class T>
class Published {
 public:
  using Clock = std::chrono::steady_clock;

  void set(T value) { set(std::make_shared<const T>(std::move(value))); }
  void set(std::shared_ptr<const T> value) {
    std::lock_guard<std::mutex> lock{mutex_};
    value_ = std::move(value);
    at_ = Clock::now();
  }

  // What was published last; null before the first set().
  std::shared_ptr<const T> get() const {
    std::lock_guard<std::mutex> lock{mutex_};
    return value_;
  }

  // When it was published; the clock's epoch before the first set().
  Clock::time_point at() const {
    std::lock_guard<std::mutex> lock{mutex_};
    return at_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_;
  Clock::time_point at_{};
};

// A yes or no with why, as the health checks show it.
struct Verdict {
  bool ok = false;
  std::string message;
};

}  // namespace rad
