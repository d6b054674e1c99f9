// jemalloc's options for rad-node, read when jemalloc starts (MALLOC_CONF in
// the environment still overrides them).
//
// background_thread: pages freed go back to the OS from a thread of
// jemalloc's own, also while the node is idle. Without it they are purged
// only when the node allocates again: a worker that spawned 100,000 mock
// agents and then waited kept the pages its spawn batches had used, ~150
// bytes per agent for as long as the agents lived (docs/BENCHMARKS.md). The
// decay times say how soon: a second for dirty pages, at once for the rest.
extern "C" {
// NOLINTNEXTLINE: the name and type jemalloc looks for.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
