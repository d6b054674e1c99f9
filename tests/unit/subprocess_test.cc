#include "actors/drivers/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace rad {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

SubprocessSpec command(std::vector<std::string> argv) {
  SubprocessSpec spec;
  spec.argv = std::move(argv);
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.timeout = 5s;
  spec.kill_grace = 200ms;
  return spec;
}

std::set<std::string> lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) out.insert(line);
  return out;
}

int open_fd_count() {
  int n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator{"/proc/self/fd"}) ++n;
  return n;
}

// A zombie is a child nobody reaped: run_subprocess must leave none.
bool has_zombie_child() {
  siginfo_t info{};
  return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "rad-subprocess-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = fs::canonical(pattern);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A FIFO the child writes a line to once it is set up, so the test acts on a
// known state of the child instead of guessing with sleeps.
class ReadyFifo {
 public:
  explicit ReadyFifo(const TempDir& dir) : path_((dir.path() / "ready").string()) {
    if (::mkfifo(path_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
  }
  const std::string& path() const { return path_; }

  // True once the child has written to the FIFO; false after `limit`.
  bool wait(milliseconds limit) const {
    int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return false;
    // Linux reports no hang-up on a FIFO no writer has opened yet, so this
    // waits for the child's line.
    pollfd p{fd, POLLIN, 0};
    bool ready = ::poll(&p, 1, static_cast<int>(limit.count())) == 1 && (p.revents & POLLIN);
    ::close(fd);
    return ready;
  }

 private:
  std::string path_;
};

// Waits for a process that is not our child to die (it may stay a zombie
// until its new parent reaps it). False if it still runs after `limit`.
bool dies_within(pid_t pid, milliseconds limit) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd p{fd, POLLIN, 0};
  bool died = ::poll(&p, 1, static_cast<int>(limit.count())) == 1;
  ::close(fd);
  if (!died) return false;
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{stat}, {}};
  auto close_paren = text.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < text.size() &&
         (text[close_paren + 2] == 'Z' || text[close_paren + 2] == 'X');
}

pid_t first_line_pid(const std::string& out) { return static_cast<pid_t>(std::atoi(out.c_str())); }

TEST(Subprocess, ReportsExitCodeZero) {
  auto r = run_subprocess(command({"true"}));
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
}

TEST(Subprocess, ReportsNonZeroExitCode) {
  auto r = run_subprocess(command({"sh", "-c", "exit 3"}));
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.term_signal, 0);
}

TEST(Subprocess, ReportsDeathBySignal) {
  auto r = run_subprocess(command({"sh", "-c", "kill -KILL $$"}));
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_FALSE(r.timed_out);
}

TEST(Subprocess, PassesArgvLiterallyWithoutShell) {
  auto r = run_subprocess(command({"printf", "%s", "a b;$HOME `id` *"}));
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.out, "a b;$HOME `id` *");
}

TEST(Subprocess, MissingProgramIsAStartError) {
  auto r = run_subprocess(command({"rad-no-such-program"}));
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.start_error, "cannot run 'rad-no-such-program': No such file or directory");
  r = run_subprocess(command({"/nonexistent/rad-prog", "x"}));
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.start_error, "cannot run '/nonexistent/rad-prog': No such file or directory");
}

TEST(Subprocess, NonExecutableProgramIsAStartError) {
  TempDir dir;
  std::ofstream{dir.path() / "script"} << "#!/bin/sh\n";
  auto r = run_subprocess(command({(dir.path() / "script").string()}));
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.start_error,
            "cannot run '" + (dir.path() / "script").string() + "': Permission denied");
}

TEST(Subprocess, EmptyArgvIsAStartError) {
  auto r = run_subprocess(command({}));
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.start_error, "cannot run a command with an empty argv");
}

TEST(Subprocess, BadWorkingDirIsAStartError) {
  auto spec = command({"pwd"});
  spec.working_dir = "/nonexistent/rad-dir";
  auto r = run_subprocess(spec);
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.start_error,
            "cannot change to working dir '/nonexistent/rad-dir': No such file or directory");
}

TEST(Subprocess, HonoursWorkingDir) {
  TempDir dir;
  auto spec = command({"pwd"});
  spec.working_dir = dir.path().string();
  auto r = run_subprocess(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.out, dir.path().string() + "\n");
}

TEST(Subprocess, EnvironmentIsExactlyTheSpec) {
  ::setenv("RAD_SUBPROCESS_TEST_LEAK", "secret", 1);
  auto spec = command({"env"});
  spec.env.push_back("A=1");
  spec.env.push_back("B=two words");
  auto r = run_subprocess(spec);
  ::unsetenv("RAD_SUBPROCESS_TEST_LEAK");
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(lines(r.out), (std::set<std::string>{"A=1", "B=two words", "PATH=/usr/bin:/bin"}));
}

TEST(Subprocess, SearchesTheChildsPathNotOurs) {
  TempDir dir;
  auto script = dir.path() / "rad-hello";
  std::ofstream{script} << "#!/bin/sh\necho hello from $0\n";
  fs::permissions(script, fs::perms::owner_all);
  auto spec = command({"rad-hello"});
  spec.env = {"PATH=/nonexistent:" + dir.path().string() + ":/usr/bin:/bin"};
  auto r = run_subprocess(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.out, "hello from " + script.string() + "\n");

  spec = command({"true"});
  spec.env = {"PATH=" + dir.path().string()};
  r = run_subprocess(spec);
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.start_error, "cannot run 'true': No such file or directory");
}

TEST(Subprocess, CapturesStdoutAndStderrApart) {
  auto r = run_subprocess(command({"sh", "-c", "printf out; printf err >&2; printf more"}));
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.out, "outmore");
  EXPECT_EQ(r.err, "err");
  EXPECT_FALSE(r.out_truncated);
  EXPECT_FALSE(r.err_truncated);
}

TEST(Subprocess, OutputAtTheLimitIsNotTruncated) {
  auto spec = command({"printf", "abcd"});
  spec.output_limit = 4;
  auto r = run_subprocess(spec);
  EXPECT_EQ(r.out, "abcd");
  EXPECT_FALSE(r.out_truncated);
}

TEST(Subprocess, CapsOutputButLetsTheChildFinish) {
  // 10 MB is ~150 pipe buffers: the child would block forever if the runner
  // stopped reading at the cap.
  auto spec = command({"sh", "-c", "head -c 10000000 /dev/zero; head -c 300000 /dev/zero >&2"});
  spec.output_limit = 1000;
  auto r = run_subprocess(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, std::string(1000, '\0'));
  EXPECT_TRUE(r.out_truncated);
  EXPECT_EQ(r.err.size(), 1000u);
  EXPECT_TRUE(r.err_truncated);
}

TEST(Subprocess, TimeoutTerminatesTheChild) {
  auto spec = command({"sleep", "30"});
  spec.timeout = 100ms;
  auto r = run_subprocess(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_GE(r.duration, spec.timeout);
  EXPECT_LT(r.duration, spec.timeout + spec.kill_grace);
  EXPECT_EQ(r.timeout, 100ms);
}

TEST(Subprocess, SigtermIgnoringChildIsKilledAfterGrace) {
  TempDir dir;
  ReadyFifo ready{dir};
  CancelToken cancel;
  Clock::time_point cancelled_at;
  std::thread canceller{[&] {
    ready.wait(5s);
    cancelled_at = Clock::now();
    cancel.cancel();
  }};
  auto spec =
      command({"sh", "-c", "trap '' TERM; echo ready > \"$1\"; sleep 30", "sh", ready.path()});
  spec.kill_grace = 200ms;
  auto r = run_subprocess(spec, cancel);
  auto ended_at = Clock::now();
  canceller.join();
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_GE(ended_at - cancelled_at, spec.kill_grace);
  EXPECT_LT(ended_at - cancelled_at, spec.kill_grace + 1s);
}

TEST(Subprocess, TimeoutKillsTheWholeProcessGroup) {
  auto spec = command({"sh", "-c", "sleep 30 & echo $!; sleep 30"});
  spec.timeout = 300ms;
  auto r = run_subprocess(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_TRUE(r.timed_out);
  pid_t grandchild = first_line_pid(r.out);
  ASSERT_GT(grandchild, 0) << "no pid printed: " << r.out;
  EXPECT_TRUE(dies_within(grandchild, 2s)) << "grandchild " << grandchild << " survived";
  ::kill(grandchild, SIGKILL);
}

TEST(Subprocess, BackgroundJobsDieWithTheChild) {
  auto r = run_subprocess(command({"sh", "-c", "sleep 30 & echo $!"}));
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(r.duration, 2s);
  pid_t grandchild = first_line_pid(r.out);
  ASSERT_GT(grandchild, 0) << "no pid printed: " << r.out;
  EXPECT_TRUE(dies_within(grandchild, 2s)) << "grandchild " << grandchild << " survived";
  ::kill(grandchild, SIGKILL);
}

TEST(Subprocess, CancelFromAnotherThreadEndsTheRunAtOnce) {
  TempDir dir;
  ReadyFifo ready{dir};
  CancelToken cancel;
  Clock::time_point cancelled_at;
  bool child_ready = false;
  std::thread canceller{[&, copy = cancel] {
    child_ready = ready.wait(5s);
    cancelled_at = Clock::now();
    copy.cancel();
  }};
  auto spec = command({"sh", "-c", "echo ready > \"$1\"; sleep 30", "sh", ready.path()});
  spec.timeout = 30s;
  spec.kill_grace = 5s;  // a slow wake-up would show, SIGTERM suffices
  auto r = run_subprocess(spec, cancel);
  auto ended_at = Clock::now();
  canceller.join();
  ASSERT_TRUE(child_ready);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_LT(ended_at - cancelled_at, 500ms);
}

TEST(Subprocess, CancelledTokenDoesNotStart) {
  CancelToken cancel;
  CancelToken copy = cancel;
  copy.cancel();
  EXPECT_TRUE(cancel.cancelled());
  auto r = run_subprocess(command({"true"}), cancel);
  EXPECT_FALSE(r.started);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.start_error, "cancelled before start");
}

TEST(Subprocess, ChildStartsWithSignalsUnblocked) {
  // rad-node blocks SIGTERM in its threads to sigwait for it.
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &term, &old), 0);
  auto spec = command({"sleep", "30"});
  spec.timeout = 100ms;
  spec.kill_grace = 2s;
  auto r = run_subprocess(spec);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_LT(r.duration, 1s);
}

TEST(Subprocess, ChildInheritsOnlyStdio) {
  int stray = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC, as careless code would
  ASSERT_GE(stray, 0);
  auto r = run_subprocess(command({"ls", "/proc/self/fd"}));
  ::close(stray);
  ASSERT_TRUE(r.started) << r.start_error;
  // 3 is the directory ls reads.
  EXPECT_EQ(lines(r.out), (std::set<std::string>{"0", "1", "2", "3"}));
}

TEST(Subprocess, LeavesNoDescriptorOrZombieBehind) {
  run_subprocess(command({"true"}));  // the shared runner's own two descriptors
  int before = open_fd_count();
  for (int i = 0; i < 50; ++i) {
    SubprocessSpec spec;
    switch (i % 5) {
      case 0:
        spec = command({"true"});
        break;
      case 1:
        spec = command({"sh", "-c", "echo out; echo err >&2; exit 1"});
        break;
      case 2:
        spec = command({"rad-no-such-program"});
        break;
      case 3:
        spec = command({"pwd"});
        spec.working_dir = "/nonexistent";
        break;
      default:
        spec = command({"sh", "-c", "sleep 30 & sleep 30"});
        spec.timeout = 20ms;
        spec.kill_grace = 20ms;
    }
    run_subprocess(spec);
  }
  EXPECT_EQ(open_fd_count(), before);
  EXPECT_FALSE(has_zombie_child());
}

}  // namespace
}  // namespace rad
