#include "persistence/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "runtime/error.h"

namespace rad {
namespace {

std::string read_holder(int fd) {
  char buf[256] = {};
  auto n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  return holder.empty() ? "another process" : holder;
}

std::string this_process() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return "pid " + std::to_string(::getpid()) + " on host " + host;
}

}  // namespace

caf::expected<std::unique_ptr<DataDirLock>> DataDirLock::acquire(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(Errc::invalid_input, "cannot create data dir " + dir + ": " + ec.message() +
                                               "; pick another with --data-dir");
  std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(Errc::invalid_input, "cannot open " + path + ": " + std::strerror(errno) +
                                               "; check the permissions of the data dir");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int saved = errno;
    std::string holder = read_holder(fd);
    ::close(fd);
    if (saved == EWOULDBLOCK)
      return make_error(Errc::in_use, "data dir " + dir + " is in use by " + holder +
                                          "; stop that process or pick another --data-dir");
    return make_error(Errc::io_error, "cannot lock " + path + ": " + std::strerror(saved));
  }
  std::string holder = this_process() + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, holder.data(), holder.size(), 0) < 0) {
    int saved = errno;
    ::close(fd);
    return make_error(Errc::io_error, "cannot write " + path + ": " + std::strerror(saved));
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(dir, fd));
}

DataDirLock::~DataDirLock() {
  // The holder line goes with the lock; flock is released by close. A failed
  // truncate only leaves a stale name, which the next holder overwrites.
  [[maybe_unused]] int rc = ::ftruncate(fd_, 0);
  ::close(fd_);
}

}  // namespace rad
