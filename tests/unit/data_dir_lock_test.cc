#include "persistence/data_dir_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "harness/process.h"
#include "runtime/error.h"

namespace rad {
namespace {

TEST(DataDirLock, CreatesTheDirAndRefusesASecondHolder) {
  TempDir tmp;
  std::string dir = tmp.path() + "/nested/data";
  auto first = DataDirLock::acquire(dir);
  ASSERT_TRUE(first) << error_message(first.error());
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  // flock locks belong to open file descriptions: a second open conflicts
  // even inside one process, exactly as a second process would.
  auto second = DataDirLock::acquire(dir);
  ASSERT_FALSE(second);
  EXPECT_TRUE(is(second.error(), Errc::in_use));
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(error_message(second.error()), "data dir " + dir + " is in use by pid " +
                                               std::to_string(::getpid()) + " on host " + host +
                                               "; stop that process or pick another --data-dir");
}

TEST(DataDirLock, ReleasedOnDestructionAndStaleFileIgnored) {
  TempDir tmp;
  { ASSERT_TRUE(DataDirLock::acquire(tmp.path())); }
  // A LOCK file naming a dead holder, as kill -9 leaves it, is no obstacle.
  tmp.file("LOCK", "pid 999999 on host elsewhere\n");
  EXPECT_TRUE(DataDirLock::acquire(tmp.path()));
}

TEST(DataDirLock, UncreatableDirIsBadInput) {
  TempDir tmp;
  auto file = tmp.file("plain", "x");
  auto lock = DataDirLock::acquire(file + "/sub");
  ASSERT_FALSE(lock);
  EXPECT_EQ(exit_code_for(lock.error()), 2);
  EXPECT_NE(error_message(lock.error()).find("cannot create data dir"), std::string::npos);
}

}  // namespace
}  // namespace rad
