// radctl: the command line of a rad cluster.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "client/api_client.h"
#include "rad/v1/cluster.pb.h"
#include "rad/v1/plan.pb.h"
#include "runtime/cli.h"
#include "runtime/clock.h"
#include "runtime/enum_word.h"
#include "runtime/error.h"
#include "runtime/proto_bridge.h"
#include "runtime/proto_file.h"
#include "runtime/system_config.h"
#include "runtime/trace.h"
#include "runtime/version.h"
#include "tools/chaos_command.h"
#include "tools/checkpoint_commands.h"
#include "tools/load_command.h"
#include "tools/run_commands.h"

namespace {

int fail(const caf::error& err) { return rad::report_failure("radctl", err); }

caf::expected<std::pair<std::string, uint16_t>> split_host_port(const std::string& target) {
  auto colon = target.rfind(':');
  char* end = nullptr;
  unsigned long port =
      colon == std::string::npos ? 0 : std::strtoul(target.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || colon == 0 || port == 0 || port > 65535 || *end != '\0')
    return rad::make_error(rad::Errc::invalid_input, "'" + target + "' is not HOST:PORT");
  return std::make_pair(target.substr(0, colon), static_cast<uint16_t>(port));
}

int ping(const std::string& target, int count, bool json, std::chrono::milliseconds timeout) {
  auto address = split_host_port(target);
  if (!address) return fail(address.error());
  rad::SystemConfig cfg;
  caf::actor_system sys{cfg};
  auto node = sys.middleman().remote_actor(address->first, address->second);
  if (!node)
    return fail(rad::make_error(rad::Errc::unreachable, "cannot reach node at " + target + ": " +
                                                            sys.render(node.error()) +
                                                            "; is rad-node running there?"));
  caf::scoped_actor self{sys};
  int failures = 0;
  for (int seq = 1; seq <= count; ++seq) {
    rad::v1::Ping ping;
    ping.set_seq(static_cast<uint64_t>(seq));
    ping.mutable_trace()->set_traceparent(rad::new_traceparent());
    auto sent = std::chrono::steady_clock::now();
    self->request(*node, timeout, rad::proto(ping))
        .receive(
            [&](const rad::Proto<rad::v1::Pong>& pong) {
              auto rtt = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - sent);
              if (json) {
                std::string out;
                (void)google::protobuf::util::MessageToJsonString(pong.value, &out);
                std::cout << out << "\n";
              } else {
                const auto& n = pong.value.node();
                std::cout << "pong " << pong.value.seq() << " from " << n.name() << " ("
                          << rad::v1::Role_Name(n.role()) << ", " << n.address() << ", protocol "
                          << n.protocol_version() << ", version " << n.version()
                          << "): " << rtt.count() << " ms\n";
              }
            },
            [&](const caf::error& err) {
              ++failures;
              std::cerr << "radctl: ping " << seq << " to " << target
                        << " failed: " << sys.render(err) << "\n";
            });
  }
  return failures == 0 ? 0 : 3;
}

int nodes(const std::string& api, bool json) {
  rad::v1::MembershipView view;
  if (auto err = rad::api_get(api, "/v1/nodes", view)) return fail(err);
  if (json) {
    std::string out;
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    (void)google::protobuf::util::MessageToJsonString(view, &out, options);
    std::cout << out << "\n";
    return 0;
  }
  using google::protobuf::util::TimeUtil;
  auto now = rad::now_timestamp();
  std::printf("%-16s %-12s %-8s %-22s %-14s %13s %15s %5s %5s %7s  %s\n", "NAME", "ROLE", "STATE",
              "ADDRESS", "INCARNATION", "AGENTS", "COMMANDS", "CPU%", "MEM%", "HEARD", "REASON");
  for (const auto& m : view.members()) {
    auto age = TimeUtil::DurationToMilliseconds(now - m.last_heartbeat());
    const auto& stats = m.stats();
    auto agents = std::to_string(stats.running_agents()) + "/" +
                  std::to_string(m.node().capacity().max_agents());
    // Running of its slots, and how many wait for one.
    auto commands = std::to_string(stats.exec_running()) + "/" +
                    std::to_string(m.node().capacity().exec_slots()) +
                    (stats.exec_waiting() ? " +" + std::to_string(stats.exec_waiting()) : "");
    double mem = stats.memory_total_bytes() > 0
                     ? 100.0 * static_cast<double>(stats.memory_used_bytes()) /
                           static_cast<double>(stats.memory_total_bytes())
                     : 0;
    // Why it is not up, or why it takes no new agents.
    auto reason = !m.reason().empty()                ? m.reason()
                  : m.has_stats() && !stats.admits() ? "refuses agents: " + stats.refusal()
                                                     : std::string{};
    std::printf(
        "%-16s %-12s %-8s %-22s %-14llu %13s %15s %5.0f %5.0f %6.1fs  %s\n",
        m.node().name().c_str(), rad::enum_word(rad::v1::Role_Name(m.node().role())).c_str(),
        rad::enum_word(rad::v1::MemberState_Name(m.state())).c_str(), m.node().address().c_str(),
        static_cast<unsigned long long>(m.node().incarnation()), agents.c_str(), commands.c_str(),
        stats.cpu_percent(), mem, static_cast<double>(age) / 1000.0, reason.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"radctl: the command line of a rad cluster"};
  app.set_version_flag("--version", std::string{"radctl "} + rad::kVersion);
  app.require_subcommand(1);
  std::string api = std::getenv("RAD_API") ? std::getenv("RAD_API") : "http://127.0.0.1:3000";
  app.add_option("--api", api, "Coordinator API URL [env RAD_API]");

  auto* validate_cmd =
      app.add_subcommand("validate", "Parse a plan file (JSON or YAML) and report problems");
  std::string plan_path;
  validate_cmd->add_option("PLAN", plan_path, "Plan file")->required();

  auto* submit_cmd =
      app.add_subcommand("submit", "Submit a plan to the coordinator; prints the run id on stdout");
  rad::SubmitOptions submit;
  submit_cmd->add_option("PLAN", submit.plan_path, "Plan file (JSON or YAML)")->required();
  submit_cmd->add_flag("--wait", submit.wait,
                       "Follow the run: progress per wave on stderr; exit 1 if it fails");
  submit_cmd
      ->add_option(
          "--key", submit.key,
          "Idempotency key, 1 to 128 printable ASCII characters: the coordinator makes at most one "
          "run per key, and answers a submit under a key it has seen with that run (a different "
          "plan under it is refused). Default: a new random key. Either way radctl sends the POST "
          "up to 3 times under that key while no answer comes")
      ->type_name("KEY");
  submit_cmd->footer(
      "Exit codes: 0 submitted, or found made by an earlier submit under the key; 1 refused for "
      "now (the coordinator's store cannot be written) or, with --wait, the run failed; 2 a bad "
      "plan or key, or the key used for another plan; 3 not confirmed: no answer came, so the "
      "run may or may not exist; submit again with the --key it prints to be sure it runs once.");

  std::string run_id;
  auto* status_cmd = app.add_subcommand("status", "A run's state, per wave");
  bool status_json = false;
  status_cmd->add_option("RUN", run_id, "Run id")->required();
  status_cmd->add_flag("--json", status_json, "Print rad.v1.RunStatus as JSON, with every story");

  auto* cancel_cmd = app.add_subcommand("cancel", "Cancel a run on every node");
  cancel_cmd->add_option("RUN", run_id, "Run id")->required();

  auto* runs_cmd = app.add_subcommand("runs", "The runs the coordinator knows, newest first");
  bool runs_json = false;
  runs_cmd->add_flag("--json", runs_json, "Print rad.v1.RunList as JSON");

  auto* trace_cmd =
      app.add_subcommand("trace", "A run's spans across nodes as a tree, with durations");
  std::string story_id;
  bool trace_json = false;
  trace_cmd->add_option("RUN", run_id, "Run id")->required();
  trace_cmd->add_option("STORY", story_id, "Only this story's spans and their ancestors");
  trace_cmd->add_flag("--json", trace_json, "Print rad.v1.SpanList as JSON");

  auto* compact_cmd = app.add_subcommand(
      "compact", "Compact the coordinator's checkpoint store; prints bytes before and after");
  bool dry_run = false;
  compact_cmd->add_flag("--dry-run", dry_run, "Say what it would do, change nothing");

  auto* backup_cmd = app.add_subcommand(
      "backup", "Copy the coordinator's checkpoint store while it runs; prints the copy's path");

  auto* checkpoint_cmd = app.add_subcommand("checkpoint", "Read a node's checkpoint store");
  checkpoint_cmd->require_subcommand(1);
  std::string data_dir = std::getenv("RAD_DATA_DIR") ? std::getenv("RAD_DATA_DIR") : "./rad-data";
  checkpoint_cmd->add_option("--data-dir", data_dir, "The node's data dir [env RAD_DATA_DIR]");
  auto* export_cmd =
      checkpoint_cmd->add_subcommand("export", "Print a run as JSON (rad.v1.RunExport)");
  export_cmd->add_option("RUN", run_id, "Run id")->required();
  auto* verify_cmd =
      checkpoint_cmd->add_subcommand("verify", "Read every record and checksum; exit 1 if damaged");

  auto* load_cmd = app.add_subcommand(
      "load",
      "Run a plan of N mock stories of a chosen shape and report throughput, latency "
      "and memory");
  rad::LoadOptions load;
  load_cmd->add_option("--stories", load.shape.stories, "Stories of the plan")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  load_cmd->add_option("--waves", load.shape.waves, "Waves they are spread over")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  load_cmd
      ->add_option("--dependency-density", load.shape.dependency_density,
                   "Share of the stories of later waves that wait for stories of the wave before")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  load_cmd
      ->add_option("--fan-out", load.shape.fan_out,
                   "Stories of the wave before that each such story waits for")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  load_cmd->add_option("--duration-ms", load.shape.duration_ms, "Mock attempt duration")
      ->check(CLI::Range(0, 3600000))
      ->capture_default_str();
  std::string distribution = "fixed";
  load_cmd
      ->add_option("--distribution", distribution,
                   "fixed, uniform (0 to twice the duration) or exponential (of that mean)")
      ->check(CLI::IsMember({"fixed", "uniform", "exponential"}))
      ->capture_default_str();
  load_cmd->add_option("--failure-rate", load.shape.failure_rate, "Probability an attempt fails")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  load_cmd->add_option("--max-concurrent", load.shape.max_concurrent, "Per wave; 0: no limit")
      ->capture_default_str();
  load_cmd->add_option("--seed", load.shape.seed, "Same seed, same plan")->capture_default_str();
  load_cmd->add_option("--json", load.report_path, "Write the JSON report to this file");
  load_cmd->add_option("--compare", load.compare_path, "A previous --json report: show the change");

  auto* chaos_cmd = app.add_subcommand("chaos", "Fault injection on a cluster of its own");
  chaos_cmd->require_subcommand(1);
  auto* chaos_run_cmd = chaos_cmd->add_subcommand(
      "run",
      "Run a chaos scenario on a local cluster it starts, then check every invariant; exit 1 "
      "if one fails");
  rad::ChaosRunOptions chaos;
  uint64_t chaos_seed = 0;
  chaos_run_cmd->add_option("SCENARIO", chaos.scenario_path, "Scenario file (JSON or YAML)")
      ->required();
  auto* seed_opt = chaos_run_cmd->add_option(
      "--seed", chaos_seed, "Seeds every choice; the same seed replays the same faults");
  chaos_run_cmd->add_option("--report", chaos.report_path, "Write the JSON report to this file");
  chaos_run_cmd->add_option("--rad-node", chaos.rad_node,
                            "The rad-node binary the nodes run [default: beside radctl]");
  chaos_run_cmd->add_option("--work-dir", chaos.work_dir,
                            "Keep the data dirs and node logs here [default: a temp dir, "
                            "removed when every invariant holds]");
  chaos_run_cmd
      ->add_option("--netns", chaos.netns,
                   "Cut partitions at the network, each node in a network namespace (root): "
                   "auto, on or off (then rad's envelope layer drops the messages)")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  chaos_run_cmd->add_flag("--dry-run", chaos.dry_run,
                          "Print the fault schedule the seed gives; start nothing");
  chaos_run_cmd->add_option("--stories", chaos.stories, "Stories of the workload instead")
      ->check(CLI::Range(1, 1000000));
  chaos_run_cmd->add_option("--workers", chaos.workers, "Workers of the cluster instead")
      ->check(CLI::Range(1, 16));

  auto* nodes_cmd =
      app.add_subcommand("nodes", "The cluster's members as the node at --api sees them");
  bool nodes_json = false;
  nodes_cmd->add_flag("--json", nodes_json, "Print the view as JSON (rad.v1.MembershipView)");

  auto* ping_cmd = app.add_subcommand("ping", "Ping a node's cluster port through CAF's middleman");
  std::string target;
  int count = 1;
  bool json = false;
  int timeout_ms = 2000;
  ping_cmd->add_option("NODE", target, "HOST:PORT of the node's cluster link")->required();
  ping_cmd->add_option("-c,--count", count, "Pings to send")->check(CLI::Range(1, 1000000));
  ping_cmd->add_option("--timeout-ms", timeout_ms, "Per ping")->check(CLI::Range(1, 600000));
  ping_cmd->add_flag("--json", json, "Print each Pong as JSON");

  if (auto exit_code = rad::parse_command_line(app, argc, argv, "radctl")) return *exit_code;
  if (*validate_cmd) return rad::check_plan_file(plan_path);
  submit.api = api;
  if (*submit_cmd) return rad::submit_command(submit);
  if (*status_cmd) return rad::status_command(api, run_id, status_json);
  if (*cancel_cmd) return rad::cancel_command(api, run_id);
  if (*runs_cmd) return rad::runs_command(api, runs_json);
  if (*trace_cmd) return rad::trace_command(api, run_id, story_id, trace_json);
  if (*compact_cmd) return rad::compact_command(api, dry_run);
  if (*backup_cmd) return rad::backup_command(api);
  if (*export_cmd) return rad::checkpoint_export_command(data_dir, run_id);
  if (*verify_cmd) return rad::checkpoint_verify_command(data_dir);
  if (*load_cmd) {
    load.api = api;
    load.shape.distribution = distribution == "uniform"       ? rad::v1::MockDriver::UNIFORM
                              : distribution == "exponential" ? rad::v1::MockDriver::EXPONENTIAL
                                                              : rad::v1::MockDriver::FIXED;
    return rad::load_command(load);
  }
  if (*chaos_run_cmd) {
    if (*seed_opt) chaos.seed = chaos_seed;
    return rad::chaos_run_command(chaos);
  }
  if (*nodes_cmd) return nodes(api, nodes_json);
  if (*ping_cmd) return ping(target, count, json, std::chrono::milliseconds{timeout_ms});
  return 2;
}
