#include "actors/drivers/child_launch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <system_error>
#include <vector>

#ifdef __linux__
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

namespace rad {
namespace {

constexpr const char* kDefaultSearchPath = "/usr/bin:/bin";

std::string error_text(int err) { return std::system_category().message(err); }

bool set_flag(int fd, int get_cmd, int set_cmd, int flag) {
  int flags = ::fcntl(fd, get_cmd);
  return flags >= 0 && ::fcntl(fd, set_cmd, flags | flag) == 0;
}

// Both ends close-on-exec from the start, so a launch in another thread
// cannot carry them into its child.
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

// Everything the child needs, built before the launch: the child shares our
// memory and may only call async-signal-safe functions.
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

// In the child, until exec: async-signal-safe calls only, and no write to
// memory the parent uses (it is the parent's memory).
[[noreturn]] void exec_child(const Launch& l) {
  // Handlers first, while every signal is still blocked (the launcher blocked
  // them): a handler of the node's must never run in here. Ignored and
  // blocked signals survive exec; rad-node blocks SIGTERM to sigwait for it.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  ::setpgid(0, 0);
#if defined(__linux__)
  // A node killed with -9 cannot stop its commands: the kernel does. The
  // parent may have died before the request took effect.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != l.parent) ::_exit(127);
#endif
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

#ifdef __linux__
// The child's stack until it execs; the launching thread is suspended
// meanwhile (CLONE_VFORK), so one per thread is enough.
constexpr size_t kChildStack = 64 * 1024;

int child_main(void* launch) { exec_child(*static_cast<const Launch*>(launch)); }

pid_t start(Launch& l) {
  alignas(64) static thread_local char stack[kChildStack];
  // Blocked across the clone: the child starts with them blocked and resets
  // the handlers before it unblocks anything.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::clone(child_main, stack + kChildStack, CLONE_VM | CLONE_VFORK | SIGCHLD, &l);
  int saved = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return pid;
}
#else
pid_t start(Launch& l) {
  pid_t pid = ::fork();
  if (pid == 0) exec_child(l);
  return pid;
}
#endif

}  // namespace

std::string printable(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

std::string check_command(const SubprocessSpec& spec) {
  if (spec.argv.empty()) return "cannot run a command with an empty argv";
  if (spec.argv[0].empty()) return "cannot run '': the program name is empty";
  for (size_t i = 0; i < spec.argv.size(); ++i)
    if (spec.argv[i].find('\0') != std::string::npos)
      return "cannot run '" + printable(spec.argv[0]) + "': argv[" + std::to_string(i) +
             "] holds a NUL byte";
  return {};
}

std::variant<LaunchedChild, std::string> launch_child(const SubprocessSpec& spec) {
  auto fail = [&](const char* what) -> std::string {
    return "cannot run '" + printable(spec.argv[0]) + "': " + what + ": " + error_text(errno);
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

  pid_t pid = start(l);
  if (pid < 0) return fail("clone");
  // Also here, so the group exists before any kill, whoever runs first.
  ::setpgid(pid, pid);
  report_w.reset();

  // The child has exec'd or failed to by now (CLONE_VFORK); without it, this
  // blocks until it does. End of file: it exec'd.
  ChildFailure failure{};
  ssize_t n;
  while ((n = ::read(report_r.get(), &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return start_error(spec, failure);
  }
  return LaunchedChild{pid, std::move(out_r), std::move(err_r)};
}

}  // namespace rad
