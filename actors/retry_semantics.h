// What a retry of a story costs, and the words rad stores for it. Shared by
// the run's state machine (which decides) and the chaos invariants (which
// read the stored transitions back).
//
// A refusal (every node tried refused, e.g. its agent limit) is not a
// failure: nothing ran; the story waits PENDING, with a reason starting
// kWaiting.
#pragma once

namespace rad {

// The start of the reason of a story that waits because it was refused.
inline constexpr char kWaiting[] = "waiting: ";

}  // namespace rad
