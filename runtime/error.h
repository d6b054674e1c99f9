// Errors as values. rad returns caf::expected<T> / caf::error across every
// boundary (they also cross actor boundaries and the cluster link); the context
// of a rad error is one line that says what is wrong and what to do.
#pragma once

#include <caf/error.hpp>
#include <cstdint>
#include <string>

namespace rad {

enum class Errc : uint8_t {
  // Bad input from a user: config, flags, plan, request. Exit code 2.
  invalid_input = 1,
  // A resource another process holds: a port, a data dir. Exit code 2.
  in_use = 2,
  // A file or device failed us.
  io_error = 3,
  // The cluster or a node cannot be reached. Exit code 3.
  unreachable = 4,
  // A peer sent something we cannot accept (protocol, cluster name, bytes).
  protocol_error = 5,
  internal = 6,
  // No such run, story or node. Exit code 2; HTTP 404.
  not_found = 7,
  // rad cannot take this now and resumes by itself (its checkpoint store
  // cannot be written): try again later. HTTP 503.
  unavailable = 8,
};

// The CAF error category of rad errors.
caf::atom_value error_category();

// An error of rad's category whose context is `message`.
caf::error make_error(Errc code, std::string message);

// The one-line message of any error, rad's or CAF's.
std::string error_message(const caf::error& err);

// True when `err` is a rad error of kind `code`.
bool is(const caf::error& err, Errc code);

// The process exit code for `err`: 2 bad input, in use or not found,
// 3 unreachable, 1 else.
int exit_code_for(const caf::error& err);

const char* to_string(Errc code);

// The error for a run id nobody knows (not_found).
caf::error unknown_run(const std::string& run_id);

}  // namespace rad
