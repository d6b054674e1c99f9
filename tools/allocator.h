// The allocator's tuning by a node's role (tools/jemalloc_conf.cc): a worker
// returns freed pages to the OS after 1 s, so that the memory of its idle
// agents is what they hold; other roles after 10 s, so that a coordinator
// does not purge and fault in again the buffers it reuses all the time.
// Nothing without jemalloc (cmake -DRAD_JEMALLOC=OFF).
#pragma once

#include <string>

namespace rad {

void tune_allocator_for_role(const std::string& role);

}  // namespace rad
