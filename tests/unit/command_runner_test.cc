#include "actors/drivers/command_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace rad {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

SubprocessSpec shell(const std::string& script) {
  SubprocessSpec spec;
  spec.argv = {"sh", "-c", script};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.timeout = 20s;
  spec.kill_grace = 200ms;
  return spec;
}

// Collects results as the runner's thread hands them over.
class Results {
 public:
  CommandRunner::Done add(const std::string& name) {
    return [this, name](SubprocessResult r) {
      std::lock_guard lock{mutex_};
      ++calls_[name];
      results_[name] = std::move(r);
      changed_.notify_all();
    };
  }
  void wait_for(size_t n) {
    std::unique_lock lock{mutex_};
    ASSERT_TRUE(changed_.wait_for(lock, 30s, [&] { return results_.size() >= n; }))
        << results_.size() << " of " << n << " commands done";
  }
  SubprocessResult get(const std::string& name) {
    std::lock_guard lock{mutex_};
    return results_.at(name);
  }
  int calls(const std::string& name) {
    std::lock_guard lock{mutex_};
    return calls_[name];
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, SubprocessResult> results_;
  std::map<std::string, int> calls_;
};

class TempFile {
 public:
  TempFile() : path_(fs::temp_directory_path() / ("rad-runner-" + std::to_string(::getpid()))) {}
  ~TempFile() { fs::remove(path_); }
  const std::string path() const { return path_.string(); }
  std::vector<std::string> lines() const {
    std::ifstream in{path_};
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  fs::path path_;
};

TEST(CommandRunner, RunsManyCommandsAtOnceEachDoneExactlyOnce) {
  CommandRunner runner;
  Results results;
  constexpr int kCommands = 300;
  for (int i = 0; i < kCommands; ++i)
    runner.start(shell("echo " + std::to_string(i)), {}, results.add(std::to_string(i)));
  results.wait_for(kCommands);
  for (int i = 0; i < kCommands; ++i) {
    auto r = results.get(std::to_string(i));
    EXPECT_TRUE(r.started) << r.start_error;
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, std::to_string(i) + "\n");
    EXPECT_EQ(results.calls(std::to_string(i)), 1);
  }
  EXPECT_EQ(runner.running(), 0u);
  EXPECT_EQ(runner.waiting(), 0u);
}

// Each command appends "+" when it starts and "-" when it ends: the running
// count read along the file never exceeds the slots.
TEST(CommandRunner, NeverRunsMoreThanItsSlots) {
  CommandRunner runner{{3, "rad-test"}};
  TempFile log;
  Results results;
  for (int i = 0; i < 12; ++i)
    runner.start(shell("echo + >> " + log.path() + "; sleep 0.05; echo - >> " + log.path()), {},
                 results.add(std::to_string(i)));
  results.wait_for(12);
  int now = 0, most = 0;
  for (const auto& line : log.lines()) {
    now += line == "+" ? 1 : -1;
    most = std::max(most, now);
  }
  EXPECT_EQ(most, 3);
  EXPECT_EQ(log.lines().size(), 24u);
}

TEST(CommandRunner, ACommandCancelledWhileWaitingNeverRuns) {
  CommandRunner runner{{1, "rad-test"}};
  TempFile log;
  Results results;
  CancelToken first, second;
  runner.start(shell("sleep 30"), first, results.add("first"));
  runner.start(shell("echo ran >> " + log.path()), second, results.add("second"));
  second.cancel();
  results.wait_for(1);  // at once, while the first still holds the only slot
  auto r = results.get("second");
  EXPECT_FALSE(r.started);
  EXPECT_TRUE(r.cancelled);
  first.cancel();
  results.wait_for(2);
  EXPECT_TRUE(results.get("first").cancelled);
  EXPECT_TRUE(log.lines().empty());
}

TEST(CommandRunner, StoppingKillsWhatRunsAndReportsItCancelled) {
  Results results;
  auto started = std::chrono::steady_clock::now();
  {
    CommandRunner runner{{1, "rad-test"}};
    runner.start(shell("trap '' TERM; sleep 30"), {}, results.add("running"));
    runner.start(shell("true"), {}, results.add("waiting"));
    // No event says a child started; its count does.
    for (int i = 0; i < 5000 && runner.running() == 0; ++i) std::this_thread::sleep_for(1ms);
    ASSERT_EQ(runner.running(), 1u);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_TRUE(results.get("running").cancelled);
  EXPECT_EQ(results.get("running").term_signal, SIGKILL);
  EXPECT_TRUE(results.get("waiting").cancelled);
  EXPECT_FALSE(results.get("waiting").started);
}

}  // namespace
}  // namespace rad
