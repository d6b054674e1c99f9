// Runs one command as a child process, without a shell, and waits for it.
//
// run_subprocess() blocks its calling thread until the command has ended and
// been reaped (tools, tests); a node runs its commands without blocking on its
// CommandRunner (command_runner.h), which this uses too. Another thread stops
// a command early through a CancelToken.
//
//   CancelToken cancel;                      // kept by whoever may cancel
//   SubprocessSpec spec;
//   spec.argv = {"make", "-j2"};
//   spec.env = {"PATH=/usr/bin:/bin"};
//   spec.timeout = std::chrono::minutes{5};
//   SubprocessResult r = run_subprocess(spec, cancel);
//   if (!r.started) ... r.start_error ...
//
// The child runs in a process group of its own, with stdin on /dev/null, the
// default disposition and an empty mask for every signal, and no descriptor
// of ours but its stdout and stderr pipes. On timeout or cancel the whole group
// gets SIGTERM, then SIGKILL once kill_grace has passed. When the child ends,
// whatever it left running in its group (background jobs) is killed with
// SIGKILL, so a run never leaves processes behind unless they moved to another
// process group or session.
//
// Linux is the platform (epoll, eventfd, clone); with a kernel older than 5.3
// (no pidfd) the runner notices a child's exit by checking every 10 ms.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace rad {

// How long a stopped command may take by default: SIGTERM, then SIGKILL this
// much later. A node whose lease ran out stops its commands within it.
inline constexpr std::chrono::milliseconds kDefaultKillGrace{2000};

struct SubprocessSpec {
  // argv[0] is the program: a path when it holds a '/' (relative ones start
  // from working_dir), otherwise looked up in the PATH of `env` (in
  // "/usr/bin:/bin" when `env` has no PATH). Nothing is run through a shell.
  std::vector<std::string> argv;
  // "K=V" entries: the complete environment of the child, nothing inherited.
  std::vector<std::string> env;
  // Empty: the caller's current directory.
  std::string working_dir;
  // Zero or less: no limit.
  std::chrono::milliseconds timeout{0};
  // Time between SIGTERM and SIGKILL to the child's process group. After the
  // child has ended, also the longest wait for its output pipes to close.
  std::chrono::milliseconds kill_grace = kDefaultKillGrace;
  // Bytes kept per stream; the rest is read and dropped so the child never
  // blocks on a full pipe.
  size_t output_limit = 64 * 1024;
};

struct SubprocessResult {
  // False when no command ran: start_error then says why in one line, such
  // as "cannot run 'x': No such file or directory".
  bool started = false;
  std::string start_error;
  // How the child ended: exit_code when it exited (-1 otherwise),
  // term_signal when a signal killed it (0 otherwise).
  int exit_code = -1;
  int term_signal = 0;
  // Set when the runner ended the child for this reason. A child that ended
  // by itself before the runner acted is reported as it ended.
  bool timed_out = false;
  bool cancelled = false;
  std::string out, err;
  bool out_truncated = false, err_truncated = false;
  // From the start of the child until it was reaped.
  std::chrono::milliseconds duration{0};
  // The spec's timeout, so that a report can name the limit that was hit.
  std::chrono::milliseconds timeout{0};
};

// A handle on one cancellation flag; copies share it. cancel() is safe from
// any thread and wakes every run_subprocess() using the token at once. Once
// cancelled a token stays cancelled: runs started with it later do not start.
class CancelToken {
 public:
  CancelToken();

  void cancel() const;
  bool cancelled() const;

  // A descriptor that polls readable once cancel() has been called, or -1 if
  // it could not be created (then run_subprocess() refuses to start).
  int wait_fd() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// Runs spec.argv to its end (or until timeout or cancel) and reaps it. Never
// throws for a failing command; the result says what happened.
SubprocessResult run_subprocess(const SubprocessSpec& spec, const CancelToken& cancel = {});

}  // namespace rad
