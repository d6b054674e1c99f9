#include "runtime/error.h"

#include <caf/atom.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/string_algorithms.hpp>

namespace rad {

caf::atom_value error_category() { return caf::atom("rad"); }

caf::error make_error(Errc code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), error_category(),
                    caf::make_message(std::move(message))};
}

std::string error_message(const caf::error& err) {
  if (!err) return "ok";
  const auto& ctx = err.context();
  if (err.category() == error_category() && ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return caf::to_string(err);
}

bool is(const caf::error& err, Errc code) {
  return err && err.category() == error_category() && err.code() == static_cast<uint8_t>(code);
}

int exit_code_for(const caf::error& err) {
  if (!err) return 0;
  if (is(err, Errc::invalid_input) || is(err, Errc::in_use) || is(err, Errc::not_found)) return 2;
  if (is(err, Errc::unreachable)) return 3;
  return 1;
}

const char* to_string(Errc code) {
  switch (code) {
    case Errc::invalid_input:
      return "invalid_input";
    case Errc::in_use:
      return "in_use";
    case Errc::io_error:
      return "io_error";
    case Errc::unreachable:
      return "unreachable";
    case Errc::protocol_error:
      return "protocol_error";
    case Errc::internal:
      return "internal";
    case Errc::not_found:
      return "not_found";
    case Errc::unavailable:
      return "unavailable";
  }
  return "unknown";
}

caf::error unknown_run(const std::string& run_id) {
  return make_error(Errc::not_found, "no run '" + run_id + "'; radctl runs lists the known ones");
}

}  // namespace rad
