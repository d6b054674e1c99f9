#include "tools/chaos_command.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "chaos/netns_lab.h"
#include "chaos/runner.h"
#include "chaos/scenario.h"
#include "chaos/schedule.h"
#include "runtime/cli.h"
#include "runtime/error.h"

namespace rad {
namespace {

int fail(const caf::error& err) { return report_failure("radctl", err); }

// rad-node beside this radctl (build/bin/, or the install's bin/).
std::string rad_node_beside_us() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "rad-node" : (self.parent_path() / "rad-node").string();
}

}  // namespace

int chaos_run_command(const ChaosRunOptions& o) {
  auto scenario = load_scenario(o.scenario_path);
  if (!scenario) return fail(scenario.error());
  if (o.stories) {
    // More stories take longer to run once the faults are over: the settle
    // time grows with them.
    auto before = scenario->workload().stories() ? scenario->workload().stories() : 200;
    if (o.stories > before && scenario->settle_ms())
      scenario->set_settle_ms(scenario->settle_ms() * o.stories / before);
    scenario->mutable_workload()->set_stories(o.stories);
  }
  if (o.workers) scenario->mutable_cluster()->set_workers(o.workers);
  if (o.stories || o.workers) {
    auto problems = scenario_problems(*scenario);
    if (!problems.empty())
      return fail(make_error(Errc::invalid_input,
                             o.scenario_path + " with --stories/--workers: " + problems.front()));
  }
  uint64_t seed = o.seed.value_or(scenario->seed());
  auto schedule = make_schedule(*scenario, seed);
  if (!schedule) return fail(schedule.error());
  if (o.dry_run) {
    std::string nodes;
    for (const auto& n : cluster_nodes(*scenario)) nodes += (nodes.empty() ? "" : ",") + n;
    std::printf("scenario %s, seed %llu: %zu faults within %llu ms on %s\n",
                scenario->name().c_str(), static_cast<unsigned long long>(seed), schedule->size(),
                static_cast<unsigned long long>(fault_window_ms(*scenario)), nodes.c_str());
    for (const auto& i : *schedule) std::printf("%s\n", describe(i).c_str());
    return 0;
  }
  RunnerOptions run;
  run.scenario = *scenario;
  run.seed = seed;
  run.rad_node = o.rad_node.empty() ? rad_node_beside_us() : o.rad_node;
  run.work_dir = o.work_dir.empty() ? "/tmp" : o.work_dir;
  run.keep_work_dir = !o.work_dir.empty();
  run.progress = &std::cerr;
  if (o.netns != "off") {
    auto why_not = NetnsLab::unavailable();
    if (why_not && o.netns == "on")
      return fail(make_error(Errc::invalid_input, "--netns on: " + *why_not));
    run.netns = !why_not;
  }
  auto report = run_chaos(run);
  if (!report) {
    std::fprintf(stderr, "radctl: chaos %s, seed %llu, could not run: %s\n",
                 scenario->name().c_str(), static_cast<unsigned long long>(seed),
                 error_message(report.error()).c_str());
    return is(report.error(), Errc::invalid_input) ? 2 : 1;
  }
  if (!o.report_path.empty()) {
    std::ofstream out{o.report_path};
    out << report_json(*report);
    if (!out)
      return fail(make_error(Errc::io_error, "cannot write the report to " + o.report_path));
  }
  std::cout << report_text(*report);
  if (!report->passed())
    std::cout << "replay: radctl chaos run " << o.scenario_path << " --seed " << seed << "\n";
  return report->passed() ? 0 : 1;
}

}  // namespace rad
