// What every rad program does with its command line and its fatal errors, so
// that exit codes and messages are the same everywhere.
#pragma once

#include <CLI/CLI.hpp>
#include <caf/error.hpp>
#include <optional>
#include <string_view>

namespace rad {

// Parses argv into `app`. --help and --version print and yield 0; a usage
// error prints "PROGRAM: WHAT; see PROGRAM --help" on stderr and yields 2.
// nullopt means: go on.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                      std::string_view program);

// Prints "PROGRAM: MESSAGE" on stderr; returns the exit code for `err`.
int report_failure(std::string_view program, const caf::error& err);

}  // namespace rad
