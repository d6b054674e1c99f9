#include "actors/drivers/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>
#include <optional>
#include <system_error>
#include <utility>

#ifdef __linux__
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

namespace rad {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Without a pidfd, how often the runner checks whether the child has ended.
constexpr milliseconds kExitCheckInterval{10};
// Bound on the last non-blocking read of a pipe: the largest default pipe
// buffer (1 MiB) in chunks, so a writer that escaped the kill cannot keep the
// runner reading forever.
constexpr int kFinalDrainChunks = 16;
constexpr size_t kChunk = 64 * 1024;
constexpr const char* kDefaultSearchPath = "/usr/bin:/bin";

// t + d, saturating: a timeout of milliseconds::max() must not wrap around.
Clock::time_point after(Clock::time_point t, milliseconds d) {
  if (d <= milliseconds::zero()) return t;
  if (d >= std::chrono::duration_cast<milliseconds>(Clock::time_point::max() - t))
    return Clock::time_point::max();
  return t + d;
}

std::string error_text(int err) { return std::system_category().message(err); }

// Keeps a name readable on one line in an error message.
std::string printable(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

bool set_flag(int fd, int get_cmd, int set_cmd, int flag) {
  int flags = ::fcntl(fd, get_cmd);
  return flags >= 0 && ::fcntl(fd, set_cmd, flags | flag) == 0;
}

// Both ends close-on-exec from the start where the platform allows it, so a
// concurrent fork in another thread cannot carry them into its child.
bool make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
#ifdef __linux__
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
#else
  if (::pipe(fds) != 0) return false;
  set_flag(fds[0], F_GETFD, F_SETFD, FD_CLOEXEC);
  set_flag(fds[1], F_GETFD, F_SETFD, FD_CLOEXEC);
#endif
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return true;
}

// A process without stdio hands out 0-2 for new descriptors; moving the
// child's descriptors above them keeps its dup2() onto 0-2 from clobbering
// one another.
bool lift_above_stdio(Fd& fd) {
  if (fd.get() > STDERR_FILENO) return true;
  int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) return false;
  fd.reset(moved);
  return true;
}

// What the child writes to the report pipe when it cannot exec.
struct ChildFailure {
  enum Stage : int { kSetup, kWorkingDir, kExec };
  int stage;
  int err;
};

// Everything the child needs, built before fork(): after it, in a threaded
// process, the child may only call async-signal-safe functions.
struct Launch {
  std::vector<std::string> args, env, candidates;
  std::vector<char*> argv, envp;
  std::string working_dir;
  int devnull, out, err, report;
  pid_t parent;
};

std::vector<std::string> program_candidates(const std::string& program,
                                            const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) return {program};
  std::string path = kDefaultSearchPath;
  for (const auto& kv : env) {
    if (kv.rfind("PATH=", 0) == 0) {
      path = kv.substr(5);
      break;  // the one getenv() in the child would see
    }
  }
  std::vector<std::string> out;
  size_t begin = 0;
  for (;;) {
    size_t end = path.find(':', begin);
    std::string dir = path.substr(begin, end == std::string::npos ? end : end - begin);
    out.push_back((dir.empty() ? "." : dir) + "/" + program);  // empty entry: current dir
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void report_and_exit(int fd, ChildFailure::Stage stage, int err) {
  ChildFailure failure{stage, err};
  // One write below PIPE_BUF is atomic; nothing useful to do if it fails.
  [[maybe_unused]] auto written = ::write(fd, &failure, sizeof failure);
  ::_exit(127);
}

// In the child, between fork() and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(const Launch& l) {
  ::setpgid(0, 0);
#if defined(__linux__)
  // A node killed with -9 cannot stop its commands: the kernel does. The
  // parent may have died before the request took effect.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != l.parent) ::_exit(127);
#endif
  // Ignored and blocked signals survive exec; the caller may block SIGTERM
  // (rad-node does, to sigwait for it), which would make the child deaf to it.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);

  if (::dup2(l.devnull, STDIN_FILENO) < 0 || ::dup2(l.out, STDOUT_FILENO) < 0 ||
      ::dup2(l.err, STDERR_FILENO) < 0)
    report_and_exit(l.report, ChildFailure::kSetup, errno);
  if (!l.working_dir.empty() && ::chdir(l.working_dir.c_str()) != 0)
    report_and_exit(l.report, ChildFailure::kWorkingDir, errno);
#if defined(__linux__) && defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
  // Descriptors other code opened without O_CLOEXEC must not reach the child
  // either; the report pipe stays usable until exec closes it.
  ::syscall(SYS_close_range, STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC);
#endif
  // Like execvp(), but searching the child's PATH rather than ours, and
  // never falling back to a shell.
  int err = ENOENT;
  bool denied = false;
  for (const auto& candidate : l.candidates) {
    ::execve(candidate.c_str(), l.argv.data(), l.envp.data());
    if (errno == EACCES) {
      denied = true;
    } else if (errno != ENOENT && errno != ENOTDIR) {
      err = errno;
      break;
    }
  }
  report_and_exit(l.report, ChildFailure::kExec, err == ENOENT && denied ? EACCES : err);
}

std::string start_error(const SubprocessSpec& spec, const ChildFailure& failure) {
  std::string program = "cannot run '" + printable(spec.argv[0]) + "': ";
  switch (failure.stage) {
    case ChildFailure::kWorkingDir:
      return "cannot change to working dir '" + printable(spec.working_dir) +
             "': " + error_text(failure.err);
    case ChildFailure::kExec:
      return program + error_text(failure.err);
    default:
      return program + "child setup failed: " + error_text(failure.err);
  }
}

// One captured stream of the child.
class Capture {
 public:
  Capture(Fd fd, std::string& text, bool& truncated, size_t limit)
      : fd_(std::move(fd)), text_(text), truncated_(truncated), limit_(limit) {}

  int fd() const { return fd_.get(); }
  bool open() const { return static_cast<bool>(fd_); }

  enum class Read { kData, kNothingYet, kClosed };

  // One read; closes the stream at end of file or on error.
  Read read_once() {
    char buf[kChunk];
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
      return Read::kNothingYet;
    if (n <= 0) {
      fd_.reset();
      return Read::kClosed;
    }
    size_t got = static_cast<size_t>(n);
    size_t keep = std::min(got, limit_ - std::min(limit_, text_.size()));
    text_.append(buf, keep);
    if (keep < got) truncated_ = true;
    return Read::kData;
  }

  // Takes what the pipe holds now, then stops listening.
  void finish() {
    for (int i = 0; i < kFinalDrainChunks && open(); ++i)
      if (read_once() != Read::kData) break;
    fd_.reset();
  }

 private:
  Fd fd_;
  std::string& text_;
  bool& truncated_;
  size_t limit_;
};

// Watches a started child until it has been reaped and its pipes are done.
class Watch {
 public:
  Watch(pid_t pid, const SubprocessSpec& spec, const CancelToken& cancel, SubprocessResult& result,
        Fd out, Fd err)
      : pid_(pid),
        spec_(spec),
        cancel_(cancel),
        result_(result),
        out_(std::move(out), result.out, result.out_truncated, spec.output_limit),
        err_(std::move(err), result.err, result.err_truncated, spec.output_limit) {
#if defined(__linux__) && defined(SYS_pidfd_open)
    pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
#endif
    started_ = Clock::now();
    if (spec.timeout > milliseconds::zero()) deadline_ = after(started_, spec.timeout);
  }

  void run() {
    while (running_ || out_.open() || err_.open()) {
      pollfd fds[4];
      int n = 0, out_i = -1, err_i = -1, pid_i = -1, cancel_i = -1;
      if (out_.open()) fds[out_i = n++] = {out_.fd(), POLLIN, 0};
      if (err_.open()) fds[err_i = n++] = {err_.fd(), POLLIN, 0};
      if (running_ && pidfd_) fds[pid_i = n++] = {pidfd_.get(), POLLIN, 0};
      if (running_ && !stopping_) fds[cancel_i = n++] = {cancel_.wait_fd(), POLLIN, 0};

      int ready = ::poll(fds, static_cast<nfds_t>(n), poll_timeout_ms());
      if (ready < 0 && errno != EINTR) {
        abandon();
        return;
      }
      auto has = [&](int i) { return ready > 0 && i >= 0 && fds[i].revents != 0; };
      if (has(out_i)) out_.read_once();
      if (has(err_i)) err_.read_once();

      if (running_ && (pidfd_ ? has(pid_i) : exited_unreaped())) reap();
      auto now = Clock::now();
      if (running_ && !stopping_) {
        if (has(cancel_i) || cancel_.cancelled()) {
          result_.cancelled = true;
          terminate(now);
        } else if (deadline_ && now >= *deadline_) {
          result_.timed_out = true;
          terminate(now);
        }
      }
      if (running_ && stopping_ && !killed_ && now >= *kill_at_) kill_group(SIGKILL);
      if (!running_ && now >= *drain_until_) {
        out_.finish();
        err_.finish();
      }
    }
  }

 private:
  int poll_timeout_ms() const {
    std::optional<Clock::time_point> wake;
    auto earliest = [&](Clock::time_point t) { wake = wake ? std::min(*wake, t) : t; };
    if (running_ && !stopping_ && deadline_) earliest(*deadline_);
    if (running_ && stopping_ && !killed_) earliest(*kill_at_);
    if (!running_) earliest(*drain_until_);
    if (running_ && !pidfd_) earliest(Clock::now() + kExitCheckInterval);
    if (!wake) return -1;
    auto left = std::chrono::ceil<milliseconds>(*wake - Clock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
  }

  // The portable way to see an exit without reaping: the pid stays reserved,
  // so the group kill that follows cannot hit a stranger.
  bool exited_unreaped() const {
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid != 0;
  }

  void terminate(Clock::time_point now) {
    stopping_ = true;
    kill_at_ = after(now, spec_.kill_grace);
    kill_group(spec_.kill_grace > milliseconds::zero() ? SIGTERM : SIGKILL);
  }

  void kill_group(int sig) {
    if (sig == SIGKILL) killed_ = true;
    ::kill(-pid_, sig);
  }

  // The child has ended (a zombie still): end the rest of its group, then reap.
  void reap() {
    kill_group(SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    running_ = false;
    auto now = Clock::now();
    result_.duration = std::chrono::duration_cast<milliseconds>(now - started_);
    if (WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result_.term_signal = WTERMSIG(status);
    // Whatever still holds a pipe escaped the group; wait for it only so long.
    drain_until_ = after(now, spec_.kill_grace);
  }

  // poll() itself failed: make sure nothing is left running or unreaped.
  void abandon() {
    if (running_) reap();
    out_.finish();
    err_.finish();
  }

  pid_t pid_;
  const SubprocessSpec& spec_;
  const CancelToken& cancel_;
  SubprocessResult& result_;
  Capture out_, err_;
  Fd pidfd_;
  Clock::time_point started_;
  std::optional<Clock::time_point> deadline_, kill_at_, drain_until_;
  bool running_ = true, stopping_ = false, killed_ = false;
};

std::optional<std::string> check_spec(const SubprocessSpec& spec, const CancelToken& cancel) {
  if (spec.argv.empty()) return "cannot run a command with an empty argv";
  if (spec.argv[0].empty()) return "cannot run '': the program name is empty";
  for (size_t i = 0; i < spec.argv.size(); ++i)
    if (spec.argv[i].find('\0') != std::string::npos)
      return "cannot run '" + printable(spec.argv[0]) + "': argv[" + std::to_string(i) +
             "] holds a NUL byte";
  if (cancel.wait_fd() < 0) return "cannot run '" + printable(spec.argv[0]) + "': no cancel event";
  if (cancel.cancelled()) return "cancelled before start";
  return std::nullopt;
}

}  // namespace

struct CancelToken::State {
  std::atomic<bool> cancelled{false};
  Fd wait;  // polled by runners
  Fd wake;  // written by cancel(); on Linux `wait` itself, an eventfd
};

CancelToken::CancelToken() : state_(std::make_shared<State>()) {
#ifdef __linux__
  state_->wait.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
#else
  if (make_pipe(state_->wait, state_->wake))
    set_flag(state_->wake.get(), F_GETFL, F_SETFL, O_NONBLOCK);
#endif
}

void CancelToken::cancel() const {
  if (state_->cancelled.exchange(true)) return;
  // Never read back: the descriptor stays readable for every later poll().
  uint64_t one = 1;
  int fd = state_->wake ? state_->wake.get() : state_->wait.get();
  [[maybe_unused]] auto written = ::write(fd, &one, sizeof one);
}

bool CancelToken::cancelled() const { return state_->cancelled.load(); }

int CancelToken::wait_fd() const { return state_->wait.get(); }

SubprocessResult run_subprocess(const SubprocessSpec& spec, const CancelToken& cancel) {
  SubprocessResult result;
  result.timeout = spec.timeout;
  if (auto error = check_spec(spec, cancel)) {
    result.start_error = *error;
    result.cancelled = cancel.cancelled();
    return result;
  }
  auto fail = [&](const char* what) {
    result.start_error =
        "cannot run '" + printable(spec.argv[0]) + "': " + what + ": " + error_text(errno);
    return result;
  };

  Launch l;
  l.args = spec.argv;
  l.env = spec.env;
  l.candidates = program_candidates(spec.argv[0], spec.env);
  l.argv = c_strings(l.args);
  l.envp = c_strings(l.env);
  l.working_dir = spec.working_dir;

  Fd devnull{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
  Fd out_r, out_w, err_r, err_w, report_r, report_w;
  if (!devnull) return fail("open /dev/null");
  if (!make_pipe(out_r, out_w) || !make_pipe(err_r, err_w) || !make_pipe(report_r, report_w))
    return fail("pipe");
  if (!lift_above_stdio(devnull) || !lift_above_stdio(out_w) || !lift_above_stdio(err_w) ||
      !lift_above_stdio(report_w))
    return fail("fcntl");
  set_flag(out_r.get(), F_GETFL, F_SETFL, O_NONBLOCK);
  set_flag(err_r.get(), F_GETFL, F_SETFL, O_NONBLOCK);
  l.devnull = devnull.get();
  l.out = out_w.get();
  l.err = err_w.get();
  l.report = report_w.get();
  l.parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) exec_child(l);
  // Also here, so the group exists before any kill, whoever runs first.
  ::setpgid(pid, pid);
  devnull.reset();
  out_w.reset();
  err_w.reset();
  report_w.reset();

  // Blocks only until the child execs or fails to (end of file or a report);
  // a child stuck before exec would be beyond SIGKILL's reach anyway.
  ChildFailure failure{};
  ssize_t n;
  while ((n = ::read(report_r.get(), &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.start_error = start_error(spec, failure);
    return result;
  }

  result.started = true;
  Watch{pid, spec, cancel, result, std::move(out_r), std::move(err_r)}.run();
  return result;
}

}  // namespace rad
