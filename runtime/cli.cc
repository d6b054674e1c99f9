#include "runtime/cli.h"

#include <iostream>

#include "runtime/error.h"

namespace rad {

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                      std::string_view program) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << program << ": " << e.what() << "; see " << program << " --help\n";
    return 2;
  }
  return std::nullopt;
}

int report_failure(std::string_view program, const caf::error& err) {
  std::cerr << program << ": " << error_message(err) << "\n";
  return exit_code_for(err);
}

}  // namespace rad
