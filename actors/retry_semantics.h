// What a retry of a story costs, and the words rad stores for it. Shared by
// the run's state machine (which decides), the Dispatcher (which gives up
// attempts of unknown outcome after a coordinator restart) and the chaos
// invariants (which read the stored transitions back).
//
// Two kinds of "not done yet" are not failures:
//   - a refusal (no node took the request, e.g. at its agent limit): nothing ran;
//     the story waits PENDING, with a reason starting kWaiting;
//   - an attempt of unknown outcome (its node was lost while running it): an
//     idempotent story is placed again; one marked `idempotent: false` ends
//     DEAD with a reason ending in kNotRunAgain, since its side effects may
//     have happened.
#pragma once

#include <cstdint>
#include <string>

#include "rad/v1/plan.pb.h"

namespace rad {

// The start of the reason of a story that waits because it was refused.
inline constexpr char kWaiting[] = "waiting: ";

// The end of the reason of an idempotent: false story given up after an
// attempt of unknown outcome.
inline constexpr char kNotRunAgain[] =
    "not run again: the story is idempotent: false (its side effects may have happened)";

// Whether an attempt of unknown outcome may be run again: true unless the
// plan says `idempotent: false` (unset keeps the behaviour of plans written
// before the field existed).
bool idempotent(const v1::Story& story);

// The reason an idempotent: false story ends DEAD: what made the outcome of
// `attempt` unknown (`error`, e.g. "node lost"), then kNotRunAgain.
std::string not_run_again_reason(uint32_t attempt, const std::string& error);

}  // namespace rad
