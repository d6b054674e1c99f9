// jemalloc's options for rad-node, read when jemalloc starts (MALLOC_CONF in
// the environment still overrides them), and tuned for the node's role once
// it is known (tools/allocator.h).
//
// background_thread: pages freed go back to the OS from a thread of
// jemalloc's own, also while the node is idle. Without it they are purged
// only when the node allocates again: a worker that spawned 100,000 mock
// agents and then waited kept the pages its spawn batches had used, ~150
// bytes per agent for as long as the agents lived (docs/BENCHMARKS.md).
//
// The decay times say how soon: dirty pages within jemalloc's default 10 s,
// the rest at once. A coordinator frees and takes again the buffers of its
// runs' steps all the time; with pages purged after 1 s, a third of its
// time went to madvise, the TLB shootdowns it causes and the page faults
// that follow (end to end 44,000-49,000 stories/s against 64,000-69,000:
// docs/BENCHMARKS.md). A worker, which holds idle agents for minutes, purges
// after 1 s.
#include <jemalloc/jemalloc.h>
#include <sys/types.h>

#include <string>

#include "tools/allocator.h"

extern "C" {
// NOLINTNEXTLINE: the name and type jemalloc looks for.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:10000,muzzy_decay_ms:0";
}

namespace rad {

void tune_allocator_for_role(const std::string& role) {
  if (role != "worker") return;
  ssize_t decay_ms = 1000;
  // Arenas made from now on, then those there are (some may not exist yet:
  // their error is no matter).
  mallctl("arenas.dirty_decay_ms", nullptr, nullptr, &decay_ms, sizeof(decay_ms));
  unsigned arenas = 0;
  size_t size = sizeof(arenas);
  if (mallctl("arenas.narenas", &arenas, &size, nullptr, 0) != 0) return;
  for (unsigned i = 0; i < arenas; ++i) {
    auto name = "arena." + std::to_string(i) + ".dirty_decay_ms";
    mallctl(name.c_str(), nullptr, nullptr, &decay_ms, sizeof(decay_ms));
  }
}

}  // namespace rad
