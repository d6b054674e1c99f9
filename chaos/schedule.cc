#include "chaos/schedule.h"

#include <algorithm>
#include <cstdio>

#include "chaos/draws.h"
#include "chaos/scenario.h"
#include "runtime/error.h"

namespace rad {
namespace {

enum class Default { workers, coordinator, any };

Default default_of(const v1::ChaosCommand& c) {
  switch (c.fault_case()) {
    case v1::ChaosCommand::kKillNode:
      return Default::workers;
    case v1::ChaosCommand::kRestartCoordinator:
    case v1::ChaosCommand::kCheckpointFailure:
      return Default::coordinator;
    default:
      return Default::any;
  }
}

// The nodes `t` names, excluding `exclude`, then `count` of them picked with
// the draws (all, in cluster order, when count is 0).
caf::expected<std::vector<std::string>> resolve(const v1::ChaosTarget& t, Default fallback,
                                                const std::vector<std::string>& nodes,
                                                const std::vector<std::string>& exclude,
                                                Draws& draws) {
  auto excluded = [&](const std::string& n) {
    return std::find(exclude.begin(), exclude.end(), n) != exclude.end();
  };
  std::vector<std::string> candidates;
  if (!t.node_names().empty()) {
    for (const auto& n : t.node_names()) {
      if (std::find(nodes.begin(), nodes.end(), n) == nodes.end())
        return make_error(Errc::invalid_input, "no node '" + n + "' in the cluster");
      if (!excluded(n)) candidates.push_back(n);
    }
  } else {
    auto role = t.role().empty() ? (fallback == Default::workers       ? "worker"
                                    : fallback == Default::coordinator ? "coordinator"
                                                                       : "any")
                                 : t.role();
    for (const auto& n : nodes) {
      bool coordinator = n == kChaosCoordinator;
      bool match = role == "any" || (role == "coordinator") == coordinator;
      if (match && !excluded(n)) candidates.push_back(n);
    }
  }
  if (t.count() == 0 || t.count() >= candidates.size()) return candidates;
  // A partial Fisher-Yates shuffle: the first `count` are the picks.
  for (size_t i = 0; i < t.count(); ++i) {
    size_t j = i + static_cast<size_t>(draws.next() % (candidates.size() - i));
    std::swap(candidates[i], candidates[j]);
  }
  candidates.resize(t.count());
  return candidates;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out.empty() ? "-" : out;
}

void set_names(v1::ChaosTarget* t, const std::vector<std::string>& names) {
  t->Clear();
  for (const auto& n : names) t->add_node_names(n);
}

// What the fault does, in words, for describe().
std::string parameters(const v1::ChaosCommand& c, const Injection& i) {
  char buf[256];
  auto lasting = [&] {
    return c.duration_ms() ? " for " + std::to_string(c.duration_ms()) + " ms"
                           : std::string{" until the end"};
  };
  auto restart = [](const v1::KillNode& k) {
    return std::string{k.graceful() ? "SIGTERM (drain)" : "SIGKILL"} +
           (k.restart_after_ms() ? ", restart after " + std::to_string(k.restart_after_ms()) + " ms"
                                 : std::string{", stays down"});
  };
  switch (c.fault_case()) {
    case v1::ChaosCommand::kKillAgent:
      std::snprintf(buf, sizeof buf, "%.0f%% of its agents", 100 * c.kill_agent().fraction());
      return buf;
    case v1::ChaosCommand::kKillNode:
      return restart(c.kill_node());
    case v1::ChaosCommand::kRestartCoordinator: {
      auto k = c.restart_coordinator();
      if (k.restart_after_ms() == 0) return restart(k) + " (restarted at once)";
      return restart(k);
    }
    case v1::ChaosCommand::kLink: {
      const auto& l = c.link();
      // Each target's own peers: a target is never its own peer.
      std::string to;
      for (const auto& p : i.posts) {
        const auto& names = p.command.link().to().node_names();
        to += (to.empty() ? "" : "; ") + p.node + "->" +
              joined(std::vector<std::string>{names.begin(), names.end()});
      }
      std::snprintf(buf, sizeof buf, "%s: drop %.2f, delay %llu+-%llu ms, duplicate %.2f",
                    to.c_str(), l.drop_probability(), static_cast<unsigned long long>(l.delay_ms()),
                    static_cast<unsigned long long>(l.delay_jitter_ms()),
                    l.duplicate_probability());
      return buf + lasting();
    }
    case v1::ChaosCommand::kPartition: {
      std::vector<std::string> other;
      for (const auto& p : i.posts)
        if (std::find(i.nodes.begin(), i.nodes.end(), p.node) == i.nodes.end())
          other.push_back(p.node);
      return "cut off from " + joined(other) + " (both ways)" + lasting();
    }
    case v1::ChaosCommand::kPressure:
      std::snprintf(buf, sizeof buf, "%u CPU threads, %llu MiB", c.pressure().cpu_threads(),
                    static_cast<unsigned long long>(c.pressure().memory_bytes() >> 20));
      return buf + lasting();
    case v1::ChaosCommand::kCheckpointFailure:
      std::snprintf(buf, sizeof buf, "writes fail with probability %.2f%s",
                    c.checkpoint_failure().probability(),
                    c.checkpoint_failure().disk_full() ? " (disk full)" : "");
      return buf + lasting();
    default:
      return "";
  }
}

}  // namespace

std::string fault_kind(const v1::ChaosCommand& c) {
  switch (c.fault_case()) {
    case v1::ChaosCommand::kKillAgent:
      return "kill_agent";
    case v1::ChaosCommand::kKillNode:
      return "kill_node";
    case v1::ChaosCommand::kRestartCoordinator:
      return "restart_coordinator";
    case v1::ChaosCommand::kLink:
      return "link";
    case v1::ChaosCommand::kPartition:
      return "partition";
    case v1::ChaosCommand::kPressure:
      return "pressure";
    case v1::ChaosCommand::kCheckpointFailure:
      return "checkpoint_failure";
    default:
      return "none";
  }
}

bool is_process_fault(const v1::ChaosCommand& c) {
  return c.has_kill_node() || c.has_restart_coordinator();
}

caf::expected<std::vector<Injection>> make_schedule(const v1::ChaosScenario& scenario,
                                                    uint64_t seed) {
  auto nodes = cluster_nodes(scenario);
  std::vector<Injection> out;
  for (int k = 0; k < scenario.faults_size(); ++k) {
    const auto& f = scenario.faults(k);
    auto index = static_cast<size_t>(k);
    Draws draws{seed, index};  // a stream per fault: draws do not depend on the others
    Injection i;
    i.index = index;
    i.id = f.id().empty() ? "faults[" + std::to_string(k) + "]" : f.id();
    i.at_ms = f.at_ms();
    i.command = f;
    i.draw = draws.unit();
    i.fires = i.draw < (f.probability() > 0 ? f.probability() : 1.0);
    auto targets = resolve(f.target(), default_of(f), nodes, {}, draws);
    if (!targets)
      return make_error(Errc::invalid_input, i.id + ": " + error_message(targets.error()));
    i.nodes = *targets;
    if (f.has_partition()) {
      auto other = resolve(f.partition().from(), Default::any, nodes, i.nodes, draws);
      if (!other)
        return make_error(Errc::invalid_input, i.id + ": " + error_message(other.error()));
      for (const auto& n : i.nodes) {
        auto c = f;
        set_names(c.mutable_partition()->mutable_from(), *other);
        i.posts.push_back({n, std::move(c)});
      }
      for (const auto& n : *other) {
        auto c = f;
        set_names(c.mutable_partition()->mutable_from(), i.nodes);
        i.posts.push_back({n, std::move(c)});
      }
    } else if (f.has_link()) {
      for (const auto& n : i.nodes) {
        auto to = resolve(f.link().to(), Default::any, nodes, {n}, draws);
        if (!to) return make_error(Errc::invalid_input, i.id + ": " + error_message(to.error()));
        auto c = f;
        set_names(c.mutable_link()->mutable_to(), *to);
        i.posts.push_back({n, std::move(c)});
      }
    } else if (!is_process_fault(f)) {
      for (const auto& n : i.nodes) i.posts.push_back({n, f});
    }
    for (auto& p : i.posts) {
      p.command.clear_target();  // the node acts on itself
      if (p.command.id().empty()) p.command.set_id(i.id);
      // The node's own choices (which agents die, which envelopes drop) follow it.
      p.command.set_seed(draws.next());
    }
    out.push_back(std::move(i));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Injection& a, const Injection& b) { return a.at_ms < b.at_ms; });
  return out;
}

std::string describe(const Injection& i) {
  char head[128];
  std::snprintf(head, sizeof head, "%8.3fs  %-18s %-19s %-12s ", static_cast<double>(i.at_ms) / 1e3,
                i.id.c_str(), fault_kind(i.command).c_str(), joined(i.nodes).c_str());
  char draw[64];
  std::snprintf(draw, sizeof draw, "  [draw %.4f: %s]", i.draw, i.fires ? "fires" : "skipped");
  return head + parameters(i.command, i) + draw;
}

uint64_t fault_window_ms(const v1::ChaosScenario& scenario) {
  if (scenario.duration_ms() > 0) return scenario.duration_ms();
  uint64_t end = 0;
  for (const auto& f : scenario.faults()) {
    uint64_t lasts = f.duration_ms();
    if (f.has_kill_node()) lasts = f.kill_node().restart_after_ms();
    if (f.has_restart_coordinator()) lasts = f.restart_coordinator().restart_after_ms();
    end = std::max(end, f.at_ms() + lasts);
  }
  return end;
}

}  // namespace rad
