#include "harness/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>

extern char** environ;

namespace rad {

std::string binary(const std::string& name) { return std::string{RAD_BIN_DIR} + "/" + name; }

std::unique_ptr<Process> Process::start(const ProcessOptions& options) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    int in =
        ::open(options.stdin_path.empty() ? "/dev/null" : options.stdin_path.c_str(), O_RDONLY);
    if (in < 0) ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    // Signals blocked by the test runner must not leak into the child.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (options.die_with_parent &&
        (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent))
      ::_exit(126);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  std::unique_ptr<Process> p{new Process};
  p->pid_ = pid;
  p->pid_fd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  p->out_fd_ = out_pipe[0];
  p->err_fd_ = err_pipe[0];
  p->reader_ = std::thread{[raw = p.get()] { raw->drain(); }};
  return p;
}

Process::~Process() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  stop_ = true;  // a grandchild may hold the pipes open
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
  if (pid_fd_ >= 0) ::close(pid_fd_);
}

void Process::drain() {
  int fds_open[2] = {out_fd_, err_fd_};
  while (!stop_ && (fds_open[0] >= 0 || fds_open[1] >= 0)) {
    pollfd fds[2];
    int n = 0;
    for (int fd : fds_open)
      if (fd >= 0) fds[n++] = {fd, POLLIN, 0};
    if (::poll(fds, n, 100) <= 0) continue;  // the timeout only rechecks stop_
    for (int i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      auto got = ::read(fds[i].fd, buf, sizeof buf);
      bool is_out = fds[i].fd == out_fd_;
      std::lock_guard<std::mutex> lock{mutex_};
      if (got > 0)
        (is_out ? out_ : err_).append(buf, static_cast<size_t>(got));
      else
        fds_open[is_out ? 0 : 1] = -1;
      changed_.notify_all();
    }
  }
  std::lock_guard<std::mutex> lock{mutex_};
  pipes_open_ = false;
  changed_.notify_all();
}

std::string Process::out() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return out_;
}

std::string Process::err() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return err_;
}

void Process::reap() {
  int status;
  if (!status_ && ::waitpid(pid_, &status, WNOHANG) == pid_)
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::optional<std::string> Process::wait_for_line(const std::regex& pattern,
                                                  std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock{mutex_};
  for (;;) {
    for (auto nl = out_.find('\n', scanned_); nl != std::string::npos;
         nl = out_.find('\n', scanned_)) {
      std::string line = out_.substr(scanned_, nl - scanned_);
      scanned_ = nl + 1;
      if (std::regex_search(line, pattern)) return line;
    }
    if (!pipes_open_) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      // What came with the last notification is still to be scanned once.
      if (std::chrono::steady_clock::now() >= deadline &&
          out_.find('\n', scanned_) == std::string::npos)
        return std::nullopt;
    }
  }
}

void Process::skip_output() {
  std::lock_guard<std::mutex> lock{mutex_};
  // Up to the last whole line: one being written now is seen whole.
  auto nl = out_.rfind('\n');
  if (nl != std::string::npos && nl + 1 > scanned_) scanned_ = nl + 1;
}

void Process::signal(int signo) {
  if (!status_) ::kill(pid_, signo);
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
  };
  for (reap(); !status_; reap()) {
    if (left().count() <= 0) return std::nullopt;
    if (pid_fd_ >= 0) {
      pollfd fd{pid_fd_, POLLIN, 0};
      ::poll(&fd, 1, static_cast<int>(left().count()));
    } else {
      int status;
      ::waitpid(pid_, &status, 0);
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
  // Its last output; bounded in case a grandchild holds the pipes.
  std::unique_lock<std::mutex> lock{mutex_};
  changed_.wait_until(lock, deadline, [&] { return !pipes_open_; });
  return status_;
}

RunResult run(const ProcessOptions& options, std::chrono::milliseconds timeout) {
  auto p = Process::start(options);
  RunResult r;
  auto code = p->wait_exit(timeout);
  r.exit_code = code.value_or(-1);
  r.out = p->out();
  r.err = p->err();
  return r;
}

uint16_t free_port() {
  // Below Linux's ephemeral range (32768-60999): a port the kernel handed out
  // for bind(0) may next be taken as the local end of some outgoing connection
  // before the node under test binds it. Random, so that tests running in
  // parallel rarely try the same one; never the same twice in one process.
  static std::mutex mutex;
  static std::set<uint16_t> given;
  static std::mt19937 rng{
      static_cast<unsigned>(::getpid()) ^
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())};
  std::lock_guard<std::mutex> lock{mutex};
  std::uniform_int_distribution<int> pick{20000, 32767};
  for (;;) {
    auto port = static_cast<uint16_t>(pick(rng));
    if (given.count(port)) continue;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (!free) continue;
    given.insert(port);
    return port;
  }
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/rad-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::file(const std::string& name, const std::string& content) const {
  std::string path = path_ + "/" + name;
  std::ofstream{path} << content;
  return path;
}

}  // namespace rad
