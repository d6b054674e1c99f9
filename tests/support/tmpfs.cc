#include "tests/support/tmpfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <vector>

namespace rad::test {

Tmpfs::Tmpfs(std::string path, uint64_t bytes) : path_(std::move(path)) {
  if (::geteuid() != 0) {
    error_ = "mounting a tmpfs needs root; run the tests as root to fill a disk for real";
    return;
  }
  std::error_code ec;
  std::filesystem::create_directories(path_, ec);
  auto options = "size=" + std::to_string(bytes) + ",mode=0700";
  if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    error_ = "cannot mount a tmpfs on " + path_ + ": " + std::strerror(errno);
    return;
  }
  mounted_ = true;
}

Tmpfs::~Tmpfs() {
  // Lazily: a process the test failed to stop may still hold files there.
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
}

bool Tmpfs::fill(const std::string& name) {
  auto file = path_ + "/" + name;
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) {
    error_ = "cannot create " + file + ": " + std::strerror(errno);
    return false;
  }
  // Big writes first, then single bytes: tmpfs allocates whole pages, and a
  // write larger than what is left may fail without using the rest.
  std::vector<char> chunk(1 << 16, 'x');
  bool full = false;
  for (size_t size : {chunk.size(), size_t{4096}, size_t{1}}) {
    for (;;) {
      auto n = ::write(fd, chunk.data(), size);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      full = n < 0 && errno == ENOSPC;
      break;
    }
    if (!full) break;
  }
  if (!full) error_ = "filling " + file + " stopped before ENOSPC: " + std::strerror(errno);
  ::close(fd);
  return full;
}

void Tmpfs::unfill(const std::string& name) {
  std::error_code ec;
  std::filesystem::remove(path_ + "/" + name, ec);
}

uint64_t Tmpfs::used_bytes() const {
  struct statvfs s {};
  if (::statvfs(path_.c_str(), &s) != 0) return 0;
  return static_cast<uint64_t>(s.f_blocks - s.f_bfree) * s.f_frsize;
}

}  // namespace rad::test
