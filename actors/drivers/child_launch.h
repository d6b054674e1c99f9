// Starts one command as a child process without copying this process.
//
// A node holds a large heap and many threads. fork() copies its page tables
// while holding its memory map lock, so every other thread that faults a page
// waits: thousands of forks made a node miss its own heartbeats (issue [7]).
// launch_child() uses clone(CLONE_VM | CLONE_VFORK), as posix_spawn() does:
// the child borrows this process's memory until it execs, and only the
// calling thread waits, for microseconds.
//
// The child runs in a process group of its own, with stdin on /dev/null, the
// default disposition and an empty mask for every signal, no descriptor of
// ours but its stdout and stderr pipes, and (Linux) SIGKILL when the thread
// that launched it ends: a node killed with -9 leaves no command behind.
#pragma once

#include <sys/types.h>

#include <string>
#include <variant>

#include "actors/drivers/fd.h"
#include "actors/drivers/subprocess.h"

namespace rad {

struct LaunchedChild {
  pid_t pid = -1;
  // Non-blocking read ends of the child's stdout and stderr.
  Fd out, err;
};

// The started child, or one line saying why nothing runs ("cannot run 'x':
// No such file or directory"). spec must have passed check_command().
std::variant<LaunchedChild, std::string> launch_child(const SubprocessSpec& spec);

// Why spec cannot run at all (empty argv, a NUL byte), or empty.
std::string check_command(const SubprocessSpec& spec);

// Keeps a name readable on one line in an error message.
std::string printable(const std::string& s);

}  // namespace rad
