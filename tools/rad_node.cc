// rad-node: one node of a rad cluster. With no arguments, a complete
// single-node cluster (coordinator and worker in one process, data in
// ./rad-data) that stops cleanly on SIGINT or SIGTERM.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "actors/node.h"
#include "faults/chaos_extension.h"
#include "runtime/cli.h"
#include "runtime/config.h"
#include "runtime/config_flags.h"
#include "runtime/error.h"
#include "runtime/logging.h"
#include "runtime/shutdown_signals.h"
#include "runtime/version.h"
#include "tools/allocator.h"

namespace {

// Until the drain ends or a second stop signal cuts it short; a fatal error
// of the node is returned.
caf::error await_drain(rad::Node& node, rad::ShutdownSignals& signals, spdlog::logger& log) {
  for (;;) {
    int signo = signals.wait();
    if (auto err = node.fatal_error()) return err;
    if (signo != SIGUSR1) {
      log.warn("{} received again: stopping the agents still running (they run again elsewhere)",
               rad::signal_name(signo));
      return {};
    }
    switch (node.drain_state()) {
      case rad::Node::Drain::finished:
        log.info("drained: every agent finished and reported");
        return {};
      case rad::Node::Drain::deadline_passed:
        log.warn(
            "drain deadline passed: stopping the agents still running (they run again "
            "elsewhere)");
        return {};
      default:
        break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  // First, so that every thread started later leaves SIGINT and SIGTERM to wait().
  rad::ShutdownSignals signals;

  CLI::App app{
      "rad-node: a node of a rad cluster. Settings come from defaults, --config FILE,\n"
      "RAD_* environment variables and flags, later ones winning; see docs/CONFIG.md."};
  app.set_version_flag(
      "--version", std::string{"rad-node "} + rad::kVersion + " (CAF " + rad::kCafVersion + ")");
  std::string config_file;
  app.add_option("--config", config_file, "JSON or YAML config file [env RAD_CONFIG]");
  bool print_reference = false;
  app.add_flag("--config-reference", print_reference,
               "Print the reference of every setting as Markdown and exit");
  rad::ConfigFlagValues flag_values;
  rad::add_config_flags(app, flag_values);
  if (auto exit_code = rad::parse_command_line(app, argc, argv, "rad-node")) return *exit_code;
  if (print_reference) {
    std::cout << rad::config_reference_markdown();
    return 0;
  }

  auto flags = rad::config_from_flags(flag_values);
  if (!flags) return rad::report_failure("rad-node", flags.error());
  auto config = rad::load_config({config_file, rad::process_environment(), *flags});
  if (!config) return rad::report_failure("rad-node", config.error());

#ifdef RAD_JEMALLOC
  rad::tune_allocator_for_role(config->role());
#endif
  rad::init_logging({config->node_name(), config->log_level(), config->log_format(), false});
  auto log = rad::logger("node");
  log->info("rad-node {} starting, config {}", rad::kVersion, rad::redacted_json(*config));

  // Chaos serves its routes and metrics on every node; it injects faults only
  // with chaos.enabled.
  auto node = rad::Node::start(*config, rad::chaos_extension(*config));
  if (!node) {
    log->error("cannot start: {}", rad::error_message(node.error()));
    return rad::report_failure("rad-node", node.error());
  }
  log->info("ready: node {} ({}) on {}", (*node)->info().name(), config->role(),
            (*node)->info().address());

  int signo = signals.wait();
  if (auto err = (*node)->fatal_error()) {
    (*node)->stop();
    return rad::report_failure("rad-node", err);
  }
  if ((*node)->runs_agents()) {
    std::chrono::milliseconds deadline{config->agents().drain_timeout_ms()};
    log->info(
        "{} received: draining, running agents may finish for {} ms; send it again to "
        "cancel them",
        rad::signal_name(signo), deadline.count());
    (*node)->begin_drain(deadline);
    if (auto err = await_drain(**node, signals, *log)) {
      (*node)->stop();
      return rad::report_failure("rad-node", err);
    }
  } else {
    log->info("{} received, stopping", rad::signal_name(signo));
  }
  (*node)->stop();
  log->info("stopped");
  return 0;
}
