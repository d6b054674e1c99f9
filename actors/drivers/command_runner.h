// CommandRunner: starts, watches and reaps every command of a node on one
// thread of its own, so a node runs hundreds of commands at once with one
// thread and no thread per child (issue [7]).
//
//   CommandRunner runner{{.slots = 64}};
//   CancelToken cancel;
//   runner.start(spec, cancel, [](SubprocessResult r) { ... });   // any thread
//   cancel.cancel();   // ends it (SIGTERM, then SIGKILL after spec.kill_grace)
//
// At most `slots` commands run at once; the others wait in order of start().
// A command cancelled while it waits ends at once without running. `done` is
// called exactly once per start(), on the runner's thread, after the child is
// reaped and its output read: it must be quick (send a message, start the
// next command) and must not block.
//
// Children are watched with pidfds in one epoll set (Linux >= 5.3; without
// pidfd the runner checks for exits every 10 ms). Everything else about a
// command (process group, output caps, timeout then SIGTERM then SIGKILL, the
// group killed when the child ends) is as subprocess.h says.
//
// The destructor kills what still runs (SIGKILL to each group), reaps it and
// calls its `done`, cancelled, before it returns.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "actors/drivers/subprocess.h"

namespace rad {

struct CommandRunnerOptions {
  // Commands running at once at most; 0: no limit.
  size_t slots = 0;
  // The runner thread's name, as ps and top show it.
  const char* thread_name = "rad-commands";
};

class CommandRunner {
 public:
  using Done = std::function<void(SubprocessResult)>;

  explicit CommandRunner(CommandRunnerOptions options = {});
  ~CommandRunner();
  CommandRunner(const CommandRunner&) = delete;
  CommandRunner& operator=(const CommandRunner&) = delete;

  // Runs spec once a slot is free. Safe from any thread.
  void start(SubprocessSpec spec, CancelToken cancel, Done done);

  // Commands started and not yet done, and those waiting for a slot.
  size_t running() const;
  size_t waiting() const;
  size_t slots() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A runner without a slot limit for whoever has none of their own (tools,
// tests, run_subprocess()); made on first use, stopped at exit.
std::shared_ptr<CommandRunner> shared_command_runner();

}  // namespace rad
