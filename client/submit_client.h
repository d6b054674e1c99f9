// Submitting a plan so that it runs once, whatever is lost on the way: the
// POST carries an idempotency key, and a POST whose answer never came (no
// connection, a timeout, a 5xx other than 503) is sent again with the same
// key, a few times. The coordinator makes at most one run per key, so a retry
// finds the run an earlier try made instead of making a second one.
//
//   auto submitted = submit_plan(api, plan_json, new_idempotency_key());
//   if (submitted) ... submitted->run_id, submitted->existing
#pragma once

#include <caf/expected.hpp>
#include <chrono>
#include <string>

namespace rad {

struct Submitted {
  std::string run_id;
  // The key had made this run before: a retry (ours, or the user's) found it.
  bool existing = false;
};

struct SubmitRetries {
  // POSTs in all, the first included.
  int tries = 3;
  // Before the second try; doubled before each next one.
  std::chrono::milliseconds pause{1000};
};

// POSTs `plan_json` to `api`/v1/runs under `key` (empty: a new one, made
// here, kept for the retries). Errors: what the API
// refused (invalid_input, in_use, unavailable, as api_request() has them),
// told as is; or, when no try was answered, an unreachable error saying that
// the submit was not confirmed and how to make sure it runs once.
caf::expected<Submitted> submit_plan(const std::string& api, const std::string& plan_json,
                                     std::string key = {}, const SubmitRetries& retries = {});

}  // namespace rad
