// Idempotency keys of submissions: a client names its submit with a key
// (POST /v1/runs with an Idempotency-Key header, radctl submit --key), and
// the coordinator makes at most one run per key, answering a repeat with the
// run the key already made. That is what makes a submit safe to retry when
// its answer was lost: a timeout, a dropped connection, a coordinator that
// died after storing the run.
//
//   if (auto err = check_idempotency_key(key, "--key")) ...   // refuse it
//   auto key = new_idempotency_key();                         // 32 hex digits
#pragma once

#include <caf/error.hpp>
#include <cstddef>
#include <string>
#include <string_view>

namespace rad {

// The HTTP header that carries the key.
inline constexpr const char* kIdempotencyKeyHeader = "Idempotency-Key";

// Longest key accepted: room for a UUID or a hash with a prefix, small enough
// to keep one per run for as long as the run's summary is kept.
inline constexpr size_t kMaxIdempotencyKeyBytes = 128;

// None when `key` may be used: 1 to kMaxIdempotencyKeyBytes printable ASCII
// characters (0x20-0x7E), not starting or ending with a space (HTTP drops
// those from a header, so the key stored would not be the key sent). Else an
// invalid_input error, one line naming `what` (e.g. "the Idempotency-Key
// header") and saying what to send instead; the key itself is not echoed, as
// it may hold anything.
caf::error check_idempotency_key(std::string_view key, std::string_view what);

// A new key: 128 random bits as 32 lowercase hex digits.
std::string new_idempotency_key();

}  // namespace rad
