#include "actors/drivers/command_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <variant>
#include <vector>

#include "actors/drivers/child_launch.h"
#include "actors/drivers/fd.h"

#ifdef __linux__
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#endif

namespace rad {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Without a pidfd, how often the runner checks whether a child has ended.
constexpr milliseconds kExitCheckInterval{10};
// Bound on the last reads of a pipe after its child is gone: the largest
// default pipe buffer (1 MiB) in chunks, so a writer that escaped the kill
// cannot keep the runner reading forever.
constexpr int kFinalDrainChunks = 16;
constexpr size_t kChunk = 64 * 1024;
constexpr uint64_t kWakeKey = ~uint64_t{0};

// What an epoll event of a child is about: the low two bits of its key.
enum Source : uint64_t { kOut = 0, kErr = 1, kExit = 2, kCancel = 3 };

// t + d, saturating: a timeout of milliseconds::max() must not wrap around.
Clock::time_point after(Clock::time_point t, milliseconds d) {
  if (d <= milliseconds::zero()) return t;
  if (d >= std::chrono::duration_cast<milliseconds>(Clock::time_point::max() - t))
    return Clock::time_point::max();
  return t + d;
}

// One captured stream of a child: reads into text up to limit, drops the rest.
struct Stream {
  Fd fd;
  std::string* text = nullptr;
  bool* truncated = nullptr;
  size_t limit = 0;

  enum class Read { kData, kNothingYet, kClosed };

  Read read_once() {
    char buf[kChunk];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
      return Read::kNothingYet;
    if (n <= 0) {
      fd.reset();
      return Read::kClosed;
    }
    size_t got = static_cast<size_t>(n);
    size_t keep = std::min(got, limit - std::min(limit, text->size()));
    text->append(buf, keep);
    if (keep < got) *truncated = true;
    return Read::kData;
  }

  // Takes what the pipe holds now, then stops listening.
  void finish() {
    for (int i = 0; i < kFinalDrainChunks && fd; ++i)
      if (read_once() != Read::kData) break;
    fd.reset();
  }
};

struct Child {
  SubprocessSpec spec;
  CancelToken cancel;
  CommandRunner::Done done;
  SubprocessResult result;

  bool waiting = true;   // for a slot; nothing started yet
  bool running = false;  // started, not yet reaped
  bool stopping = false, killed = false;
  bool exited = false;  // its pidfd said so
  Fd cancel_watch;      // a dup of the token's descriptor, in the epoll set
  pid_t pid = -1;
  Fd pidfd;
  Stream out, err;
  Clock::time_point started;
  std::optional<Clock::time_point> deadline, kill_at, drain_until, timer;
};

}  // namespace

struct CommandRunner::Impl {
  CommandRunnerOptions options;
  Fd epoll, wake;
  std::thread thread;

  std::mutex mutex;  // guards incoming and closing
  std::vector<Child> incoming;
  bool closing = false;

  // The runner thread's own.
  uint64_t next_id = 1;
  std::map<uint64_t, Child> children;
  std::deque<uint64_t> queue;  // waiting, in order
  std::set<std::pair<Clock::time_point, uint64_t>> timers;
  bool closed = false;

  // Children holding a slot (started, not yet reaped), and those queued: the
  // runner thread writes them, anyone may read them.
  std::atomic<size_t> running_count{0}, waiting_count{0};

  explicit Impl(CommandRunnerOptions o) : options(o) {
#ifdef __linux__
    epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
    wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    watch(wake.get(), kWakeKey);
#endif
    thread = std::thread([this] { loop(); });
  }

  ~Impl() {
    {
      std::lock_guard lock{mutex};
      closing = true;
    }
    notify();
    thread.join();
  }

  void notify() {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake.get(), &one, sizeof one);
  }

  bool watch(int fd, uint64_t key) {
#ifdef __linux__
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = key;
    return ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
#else
    return false;
#endif
  }

  void loop() {
#ifdef __linux__
    ::pthread_setname_np(::pthread_self(), options.thread_name);
#endif
    epoll_event events[256];
    std::vector<uint64_t> touched;
    for (;;) {
      take_incoming();
      launch_waiting();
      if (closed && children.empty()) return;
      int n = ::epoll_wait(epoll.get(), events, 256, timeout_ms());
      auto now = Clock::now();
      touched.clear();
      for (int i = 0; i < n; ++i) {
        uint64_t key = events[i].data.u64;
        if (key == kWakeKey) {
          uint64_t count;
          [[maybe_unused]] auto r = ::read(wake.get(), &count, sizeof count);
          continue;
        }
        auto it = children.find(key >> 2);
        if (it == children.end()) continue;  // ended earlier in this round
        auto& c = it->second;
        switch (key & 3) {
          case kOut:
            if (c.out.fd) c.out.read_once();
            break;
          case kErr:
            if (c.err.fd) c.err.read_once();
            break;
          case kExit:
            c.exited = true;
            break;
          case kCancel:
            c.cancel_watch.reset();  // stays readable: once is enough
            break;
        }
        touched.push_back(key >> 2);
      }
      while (!timers.empty() && timers.begin()->first <= now) {
        auto id = timers.begin()->second;
        children.at(id).timer.reset();
        timers.erase(timers.begin());
        touched.push_back(id);
      }
      for (auto id : touched)
        if (auto it = children.find(id); it != children.end()) step(id, it->second, now);
    }
  }

  void take_incoming() {
    std::vector<Child> taken;
    bool close_now = false;
    {
      std::lock_guard lock{mutex};
      taken.swap(incoming);
      close_now = closing && !closed;
    }
    for (auto& c : taken) {
      uint64_t id = next_id++;
      auto& child = children.emplace(id, std::move(c)).first->second;
      int fd = child.cancel.wait_fd();
      if (fd >= 0) child.cancel_watch.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
      if (child.cancel_watch) watch(child.cancel_watch.get(), id << 2 | kCancel);
      queue.push_back(id);
    }
    if (close_now) close_all();
    waiting_count = queue.size();
  }

  // The node stops: nothing waits any more, everything running is killed.
  void close_all() {
    closed = true;
    auto now = Clock::now();
    std::vector<uint64_t> ids;
    for (auto& [id, c] : children) ids.push_back(id);
    for (auto id : ids) {
      auto& c = children.at(id);
      if (c.running && !c.killed) {
        if (!c.stopping) c.result.cancelled = true;
        c.stopping = true;
        kill_group(c, SIGKILL);
      }
      step(id, c, now);
    }
  }

  void launch_waiting() {
    while (!queue.empty() && (options.slots == 0 || running_count < options.slots)) {
      auto id = queue.front();
      queue.pop_front();
      auto it = children.find(id);
      if (it == children.end()) continue;  // cancelled while it waited
      launch(id, it->second);
    }
    waiting_count = queue.size();
  }

  void launch(uint64_t id, Child& c) {
    c.waiting = false;
    auto problem = check_command(c.spec);
    if (problem.empty() && c.cancel.wait_fd() < 0)
      problem = "cannot run '" + printable(c.spec.argv[0]) + "': no cancel event";
    if (problem.empty() && c.cancel.cancelled()) {
      problem = "cancelled before start";
      c.result.cancelled = true;
    }
    if (problem.empty()) {
      auto launched = launch_child(c.spec);
      if (auto* error = std::get_if<std::string>(&launched)) {
        problem = std::move(*error);
      } else {
        auto& child = std::get<LaunchedChild>(launched);
        started(id, c, child);
        return;
      }
    }
    c.result.start_error = std::move(problem);
    complete(id, c);
  }

  void started(uint64_t id, Child& c, LaunchedChild& child) {
    c.pid = child.pid;
    c.running = true;
    c.result.started = true;
    c.started = Clock::now();
    if (c.spec.timeout > milliseconds::zero()) c.deadline = after(c.started, c.spec.timeout);
    c.out =
        Stream{std::move(child.out), &c.result.out, &c.result.out_truncated, c.spec.output_limit};
    c.err =
        Stream{std::move(child.err), &c.result.err, &c.result.err_truncated, c.spec.output_limit};
    watch(c.out.fd.get(), id << 2 | kOut);
    watch(c.err.fd.get(), id << 2 | kErr);
#if defined(__linux__) && defined(SYS_pidfd_open)
    c.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, c.pid, 0)));
    if (c.pidfd && !watch(c.pidfd.get(), id << 2 | kExit)) c.pidfd.reset();
#endif
    ++running_count;
    if (closed) {
      c.result.cancelled = true;
      c.stopping = true;
      kill_group(c, SIGKILL);
    }
    reschedule(id, c, c.started);
  }

  // Whatever happened to child `id`, this moves it on.
  void step(uint64_t id, Child& c, Clock::time_point now) {
    if (c.waiting) {
      if (c.cancel.cancelled() || closed) {
        c.result.cancelled = true;
        c.result.start_error = "cancelled before start";
        complete(id, c);
      }
      return;
    }
    if (c.running && (c.pidfd ? c.exited : exited_unreaped(c))) reap(c, now);
    // Its exit may not have been seen yet (a node resumed after SIGSTOP sees
    // every event at once): a command that ended by itself ran to its end,
    // and says so, rather than being called cancelled or timed out.
    bool cut = c.cancel.cancelled() || (c.deadline && now >= *c.deadline);
    if (c.running && !c.stopping && cut && c.pidfd && exited_unreaped(c)) reap(c, now);
    if (c.running && !c.stopping) {
      if (c.cancel.cancelled()) {
        c.result.cancelled = true;
        terminate(c, now);
      } else if (c.deadline && now >= *c.deadline) {
        c.result.timed_out = true;
        terminate(c, now);
      }
    }
    if (c.running && c.stopping && !c.killed && now >= *c.kill_at) kill_group(c, SIGKILL);
    if (!c.running && now >= *c.drain_until) {
      c.out.finish();
      c.err.finish();
    }
    if (!c.running && !c.out.fd && !c.err.fd) {
      complete(id, c);
      return;
    }
    reschedule(id, c, now);
  }

  void reschedule(uint64_t id, Child& c, Clock::time_point now) {
    std::optional<Clock::time_point> wake_at;
    auto earliest = [&](Clock::time_point t) { wake_at = wake_at ? std::min(*wake_at, t) : t; };
    if (c.running && !c.stopping && c.deadline) earliest(*c.deadline);
    if (c.running && c.stopping && !c.killed) earliest(*c.kill_at);
    if (!c.running) earliest(*c.drain_until);
    if (c.running && !c.pidfd) earliest(now + kExitCheckInterval);
    if (c.timer == wake_at) return;
    if (c.timer) timers.erase({*c.timer, id});
    c.timer = wake_at;
    if (wake_at) timers.insert({*wake_at, id});
  }

  int timeout_ms() const {
    if (timers.empty()) return -1;
    auto left = std::chrono::ceil<milliseconds>(timers.begin()->first - Clock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
  }

  // The portable way to see an exit without reaping: the pid stays reserved,
  // so the group kill that follows cannot hit a stranger.
  static bool exited_unreaped(const Child& c) {
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    return ::waitid(P_PID, static_cast<id_t>(c.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid != 0;
  }

  void terminate(Child& c, Clock::time_point now) {
    c.stopping = true;
    c.kill_at = after(now, c.spec.kill_grace);
    kill_group(c, c.spec.kill_grace > milliseconds::zero() ? SIGTERM : SIGKILL);
  }

  static void kill_group(Child& c, int sig) {
    if (sig == SIGKILL) c.killed = true;
    ::kill(-c.pid, sig);
  }

  // The child has ended (a zombie still): end the rest of its group, then reap.
  void reap(Child& c, Clock::time_point now) {
    kill_group(c, SIGKILL);
    int status = 0;
    while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
    c.running = false;
    c.pidfd.reset();
    --running_count;
    c.result.duration = std::chrono::duration_cast<milliseconds>(now - c.started);
    if (WIFEXITED(status)) c.result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) c.result.term_signal = WTERMSIG(status);
    // Whatever still holds a pipe escaped the group; wait for it only so long.
    c.drain_until = closed ? now : after(now, c.spec.kill_grace);
  }

  void complete(uint64_t id, Child& c) {
    if (c.timer) timers.erase({*c.timer, id});
    auto done = std::move(c.done);
    auto result = std::move(c.result);
    children.erase(id);
    waiting_count = queue.size();
    try {
      done(std::move(result));
    } catch (...) {
      // A callback's failure is its own; the runner goes on with the others.
    }
  }
};

CommandRunner::CommandRunner(CommandRunnerOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

CommandRunner::~CommandRunner() = default;

void CommandRunner::start(SubprocessSpec spec, CancelToken cancel, Done done) {
  Child c;
  c.result.timeout = spec.timeout;
  c.spec = std::move(spec);
  c.cancel = std::move(cancel);
  c.done = std::move(done);
  {
    std::lock_guard lock{impl_->mutex};
    if (!impl_->closing) {
      impl_->incoming.push_back(std::move(c));
      ++impl_->waiting_count;
      impl_->notify();
      return;
    }
  }
  c.result.cancelled = true;
  c.result.start_error = "cancelled before start: the node is stopping";
  c.done(std::move(c.result));
}

size_t CommandRunner::running() const { return impl_->running_count; }
size_t CommandRunner::waiting() const { return impl_->waiting_count; }
size_t CommandRunner::slots() const { return impl_->options.slots; }

std::shared_ptr<CommandRunner> shared_command_runner() {
  static auto shared = std::make_shared<CommandRunner>(CommandRunnerOptions{0, "rad-subprocess"});
  return shared;
}

}  // namespace rad
