// Real processes for integration tests: start a binary, await a line it
// prints, signal it, await its exit. Every wait is on an event (a line, an
// exit) with a deadline, never a sleep.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace rad {

using namespace std::chrono_literals;

// build/bin/NAME
std::string binary(const std::string& name);

struct ProcessOptions {
  std::vector<std::string> argv;
  // Added to (or replacing) the test's own environment.
  std::map<std::string, std::string> env = {};
  std::string cwd = {};
  // A file read as stdin (a file, not a pipe, so that no writer has to keep
  // pace with the child); empty: /dev/null.
  std::string stdin_path = {};
  // SIGKILL to the child when the thread that started it ends (Linux's
  // parent-death signal): a cluster radctl started must not outlive a radctl
  // killed with -9. Only from a thread that lives as long as the child should.
  bool die_with_parent = false;
};

class Process {
 public:
  static std::unique_ptr<Process> start(const ProcessOptions& options);
  ~Process();  // kill -9 and reap if still running

  pid_t pid() const { return pid_; }

  // The first stdout line (since the last match) matching `pattern`, or
  // nullopt at the deadline or when stdout closes first.
  std::optional<std::string> wait_for_line(const std::regex& pattern,
                                           std::chrono::milliseconds timeout = 10s);

  // The next wait_for_line sees only lines printed from now on.
  void skip_output();

  void signal(int signo);

  // Exit code, or 128 + signal when killed; nullopt at the deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = 10s);

  // What it printed so far (copies: a reader thread appends meanwhile).
  std::string out() const;
  std::string err() const;

 private:
  Process() = default;
  // The reader thread: drains stdout and stderr as the child writes, so that
  // a child is never blocked on a full pipe whether or not a test reads.
  void drain();
  // Records the exit status if the process has exited.
  void reap();

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  // Readable when the process exits: the exit is an event to poll.
  int pid_fd_ = -1;
  std::optional<int> status_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // more output, or both pipes closed
  std::string out_, err_;
  bool pipes_open_ = true;
  size_t scanned_ = 0;  // of out_, by wait_for_line
  std::atomic<bool> stop_{false};
  std::thread reader_;
};

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs to completion (killed at the deadline, which fails the test's asserts
// through exit_code -1).
RunResult run(const ProcessOptions& options, std::chrono::milliseconds timeout = 30s);

// A TCP port on 127.0.0.1 that nothing listens on right now.
uint16_t free_port();

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace rad
