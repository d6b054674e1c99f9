// A small tmpfs for tests of a full disk: mounted on a directory of the
// test's, filled on demand with a file until no byte is left, unmounted on
// destruction. Mounting needs root (CAP_SYS_ADMIN); elsewhere `mounted()` is
// false and `error()` says why, for GTEST_SKIP.
#pragma once

#include <cstdint>
#include <string>

namespace rad::test {

class Tmpfs {
 public:
  // Creates `path` if missing and mounts a tmpfs of `bytes` there.
  Tmpfs(std::string path, uint64_t bytes);
  ~Tmpfs();
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

  // Writes a file until the file system refuses with ENOSPC; false (and
  // error()) when it fails otherwise.
  bool fill(const std::string& name = "filler");
  // Removes the file fill() wrote: the space is back.
  void unfill(const std::string& name = "filler");
  uint64_t used_bytes() const;

 private:
  std::string path_, error_;
  bool mounted_ = false;
};

}  // namespace rad::test
