#include "actors/retry_semantics.h"

namespace rad {

bool idempotent(const v1::Story& story) { return !story.has_idempotent() || story.idempotent(); }

std::string not_run_again_reason(uint32_t attempt, const std::string& error) {
  auto n = std::to_string(attempt);
  // The Dispatcher settles a lost node's attempts with "node lost".
  auto cause = error.empty() || error == "node lost" ? "node lost while running attempt " + n
                                                     : error + " (attempt " + n + ")";
  return cause + "; " + kNotRunAgain;
}

}  // namespace rad
