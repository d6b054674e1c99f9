#include "chaos/runner.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <thread>

#include "chaos/cluster_options.h"
#include "chaos/fault_client.h"
#include "chaos/netns_lab.h"
#include "chaos/scenario.h"
#include "chaos/schedule.h"
#include "chaos/stored_run.h"
#include "chaos/workload.h"
#include "client/api_client.h"
#include "client/prometheus_text.h"
#include "client/submit_client.h"
#include "runtime/clock.h"
#include "runtime/error.h"

namespace rad {
namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using google::protobuf::util::TimeUtil;

constexpr uint64_t kDefaultSettleMs = 60000;
// Polling paces: the view while a recovery is awaited (its time is measured
// to this), else; the run's counts (the evidence of what the client was told).
constexpr uint64_t kViewPollBusyMs = 50, kViewPollIdleMs = 1000, kStatusPollMs = 250;

// A node process killed or stopped by the scenario, and what became of it.
struct ProcessFault {
  size_t record = 0;  // into faults_
  std::string node;
  bool coordinator = false, graceful = false, restarts = false;
  uint64_t restart_after_ms = 0;
  uint64_t killed_ms = 0;
  int pid = 0;
  std::string old_node_id;
  std::optional<uint64_t> exited_ms, down_ms, restarted_ms, back_ms;
  std::optional<int> exit_code;
  bool drained = false;
};

// A node fault that lasts: when it ends, and when the cluster was over it
// (a partition: every running node up in the view again; failing checkpoint
// writes: the coordinator ready again). Link faults only mark their nodes.
struct TimedFault {
  enum Kind { link, partition, checkpoint } kind = link;
  size_t record = 0;
  std::set<std::string> nodes;   // whose sends it touched
  std::vector<std::string> cut;  // whose links it took down (network namespaces)
  uint64_t end_ms = 0;
  std::optional<uint64_t> over_ms;
  bool awaited() const { return kind != link && !over_ms; }
};

bool contains(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

class Runner {
 public:
  Runner(const RunnerOptions& o, std::vector<Injection> schedule, std::string work_dir,
         NetnsLab* netns)
      : o_(o), schedule_(std::move(schedule)), work_dir_(std::move(work_dir)), netns_(netns) {
    const auto& s = o_.scenario;
    window_ms_ = fault_window_ms(s);
    settle_ms_ = s.settle_ms() ? s.settle_ms() : kDefaultSettleMs;
    drain_ms_ = s.cluster().drain_timeout_ms() ? s.cluster().drain_timeout_ms() : 25000;
    marker_ = "chaos-" + s.name() + "-" + std::to_string(o_.seed) + "-" +
              std::to_string(::getpid()) + "-" +
              std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  }

  caf::expected<ChaosReport> run() {
    auto began = Clock::now();
    auto options = chaos_cluster_options(o_.scenario, o_.rad_node, work_dir_, netns_);
    if (!options) return options.error();
    cluster_ = std::make_unique<LocalCluster>(std::move(*options));
    say("chaos: starting " + std::to_string(cluster_->nodes().size()) + " nodes in " + work_dir_);
    if (auto err = cluster_->start(Millis{60000})) return err;
    plan_ = make_workload(o_.scenario.workload(), o_.seed, marker_, side_effects_path());
    std::string body;
    (void)google::protobuf::util::MessageToJsonString(plan_, &body);
    auto submitted = submit_plan(cluster_->api(), body);
    if (!submitted) return submitted.error();
    run_id_ = submitted->run_id;
    start_ = Clock::now();
    start_wall_ = std::chrono::system_clock::now();
    poll_view();  // the node ids a fault at 0 ms needs
    say("chaos: run " + run_id_ + " of " + std::to_string(plan_stories()) + " stories; " +
        std::to_string(schedule_.size()) + " faults over " + std::to_string(window_ms_) + " ms");
    drive();
    auto report = conclude();
    report.seconds = std::chrono::duration<double>(Clock::now() - began).count();
    return report;
  }

 private:
  uint64_t now_ms() const {
    return static_cast<uint64_t>(std::chrono::duration_cast<Millis>(Clock::now() - start_).count());
  }
  google::protobuf::Timestamp wall(uint64_t ms) const {
    return to_timestamp(start_wall_ + Millis{ms});
  }
  void say(const std::string& line) {
    if (o_.progress) *o_.progress << line << std::endl;
  }
  size_t plan_stories() const {
    size_t n = 0;
    for (const auto& w : plan_.waves()) n += static_cast<size_t>(w.stories_size());
    return n;
  }

  // The scenario's clock: faults at their times, polls, restarts, the heal,
  // then the settle, until the run ended and every restart is back.
  void drive() {
    size_t next = 0;
    uint64_t settle_deadline = 0, last_progress = 0, last_view = 0, last_status = 0;
    for (;;) {
      auto now = now_ms();
      while (next < schedule_.size() && schedule_[next].at_ms <= now) inject(schedule_[next++]);
      if (!healed_ && next == schedule_.size() && now >= window_ms_) {
        heal();
        settle_deadline = now + settle_ms_;
      }
      watch_processes();
      heal_cuts(now);
      bool busy = awaiting_recovery();
      if (now - last_view >= (busy ? kViewPollBusyMs : kViewPollIdleMs)) {
        poll_view();
        last_view = now;
      }
      if (now - last_status >= kStatusPollMs) {
        poll_status();
        last_status = now;
      }
      if (now - last_progress >= 1000) {
        progress();
        last_progress = now;
      }
      if (healed_ && finished_ && !busy) break;
      if (healed_ && now >= settle_deadline) {
        say("chaos: settle time of " + std::to_string(settle_ms_) + " ms is over");
        break;
      }
      std::this_thread::sleep_for(Millis{20});  // the scenario clock's resolution
    }
    progress();
  }

  void inject(const Injection& i) {
    FaultRecord f;
    f.id = i.id;
    f.kind = fault_kind(i.command);
    f.at_ms = i.at_ms;
    f.nodes = i.nodes;
    f.fired = i.fires;
    f.fired_ms = now_ms();
    faults_.push_back(f);
    auto& record = faults_.back();
    if (!i.fires) return;
    say("chaos: " + describe(i));
    const auto& c = i.command;
    if (c.has_kill_node() || c.has_restart_coordinator()) {
      const auto& k = c.has_kill_node() ? c.kill_node() : c.restart_coordinator();
      record.applied = true;
      for (const auto& node : i.nodes) {
        auto answer = kill(node, k, faults_.size() - 1);
        record.answers.emplace_back(node, answer);
      }
      return;
    }
    record.applied = true;
    TimedFault timed;
    timed.record = faults_.size() - 1;
    timed.kind = c.has_partition()            ? TimedFault::partition
                 : c.has_checkpoint_failure() ? TimedFault::checkpoint
                                              : TimedFault::link;
    if (netns_ && c.has_partition() && c.partition().from().node_names().empty()) {
      // Cut off from every node: its link goes down, a partition of the network itself.
      for (const auto& node : i.nodes) {
        bool down = netns_->cut(node);
        record.answers.emplace_back(
            node, down ? "link down in its network namespace" : "failed: its link did not go down");
        if (!down) record.applied = false;
        timed.cut.push_back(node);
      }
      // A cut node's peers lose what they send it too.
      for (const auto& n : cluster_->nodes()) timed.nodes.insert(n);
      timed.end_ms = c.duration_ms() ? record.fired_ms + c.duration_ms() : window_ms_;
      timed_.push_back(std::move(timed));
      return;
    }
    for (const auto& p : i.posts) {
      if (!cluster_->running(p.node)) {
        record.answers.emplace_back(p.node, "skipped: the node is down");
        continue;
      }
      auto ack = post_fault(cluster_->http(p.node), p.command);
      posted_to_.insert(p.node);
      record.answers.emplace_back(p.node,
                                  ack ? ack->applied() : "failed: " + error_message(ack.error()));
      if (!ack) record.applied = false;
      if (!c.has_link() && !c.has_partition()) continue;
      timed.nodes.insert(p.node);
      for (const auto& n : p.command.link().to().node_names()) timed.nodes.insert(n);
      for (const auto& n : p.command.partition().from().node_names()) timed.nodes.insert(n);
    }
    if (c.has_link() || c.has_partition() || c.has_checkpoint_failure()) {
      timed.end_ms = c.duration_ms() ? record.fired_ms + c.duration_ms() : window_ms_;
      timed_.push_back(std::move(timed));
    }
  }

  // Signals the node's process; the restart, if any, comes from watch_processes().
  std::string kill(const std::string& node, const v1::KillNode& k, size_t record) {
    if (!cluster_->running(node)) return "skipped: the node is already down";
    ProcessFault pf;
    pf.record = record;
    pf.node = node;
    pf.coordinator = node == cluster_->coordinator();
    pf.graceful = k.graceful();
    pf.restart_after_ms = k.restart_after_ms();
    // The coordinator always comes back: restart_coordinator is a restart.
    pf.restarts = pf.coordinator || k.restart_after_ms() > 0;
    // The agents it runs now, for the report: what the kill hit.
    std::string agents;
    if (auto view = cluster_->view())
      for (const auto& m : view->members())
        if (m.node().name() == node && m.state() == v1::MEMBER_STATE_UP) {
          node_ids_[node] = m.node().node_id();
          agents = " (" + std::to_string(m.stats().running_agents()) +
                   " agents running at its last Monitor sample)";
        }
    pf.old_node_id = node_ids_[node];
    pf.pid = cluster_->pid(node);
    cluster_->signal(node, pf.graceful ? SIGTERM : SIGKILL);
    pf.killed_ms = now_ms();
    if (!pf.graceful) {
      pf.exit_code = cluster_->wait_exit(node, Millis{5000});
      pf.exited_ms = now_ms();
    }
    processes_.push_back(pf);
    return std::string{pf.graceful ? "SIGTERM (drain)" : "SIGKILL"} + " to pid " +
           std::to_string(processes_.back().pid) + agents;
  }

  // The end of a node's output, for a report that must say why it hung.
  static std::string last_lines(const std::string& text, int n) {
    // The last newline ends the last line: n lines take n + 1 newlines back.
    size_t from = text.size();
    for (int newlines = 0; newlines <= n; ++newlines) {
      if (from == 0) return text;
      from = text.rfind('\n', from - 1);
      if (from == std::string::npos) return text;
    }
    return text.substr(from + 1);
  }

  // Exits, overdue drains and restarts that are due.
  void watch_processes() {
    for (auto& pf : processes_) {
      auto now = now_ms();
      if (!pf.exited_ms) {
        if (auto code = cluster_->wait_exit(pf.node, Millis{0})) {
          pf.exit_code = code;
          pf.exited_ms = now;
          pf.drained = contains(cluster_->output(pf.node), "drained: every agent finished");
        } else if (pf.graceful && now - pf.killed_ms > drain_ms_ + kDrainExitGraceMs + 5000) {
          say("chaos: " + pf.node +
              " is still draining past its deadline: SIGKILL; its last lines:\n" +
              last_lines(cluster_->output(pf.node), 8));
          cluster_->signal(pf.node, SIGKILL);
        }
        continue;
      }
      bool due = healed_ || now >= pf.killed_ms + pf.restart_after_ms;
      if (pf.restarts && !pf.restarted_ms && due) {
        if (auto err = cluster_->restart(pf.node)) {
          say("chaos: cannot restart " + pf.node + ": " + error_message(err));
          pf.restarts = false;
          continue;
        }
        pf.restarted_ms = now;
        say("chaos: restarted " + pf.node);
      }
      if (pf.coordinator && pf.restarted_ms && !pf.back_ms &&
          api_request("GET", cluster_->http(pf.node), "/health/ready"))
        pf.back_ms = now_ms();
    }
    for (auto& t : timed_)
      if (t.kind == TimedFault::checkpoint && t.awaited() && now_ms() >= t.end_ms &&
          api_request("GET", cluster_->api(), "/health/ready"))
        t.over_ms = now_ms();
  }

  bool awaiting_recovery() const {
    for (const auto& pf : processes_) {
      if (!pf.exited_ms) return true;
      if (!pf.coordinator && !pf.down_ms) return true;
      if (pf.restarts && !pf.back_ms) return true;
    }
    for (const auto& t : timed_)
      if (t.awaited()) return true;
    return false;
  }

  void poll_view() {
    auto view = cluster_->view();
    if (!view) return;  // the coordinator is down or restarting
    auto now = now_ms();
    std::map<std::string, const v1::Member*> by_id;
    size_t up = 0;
    for (const auto& m : view->members()) {
      by_id[m.node().node_id()] = &m;
      if (m.state() == v1::MEMBER_STATE_UP) {
        node_ids_[m.node().name()] = m.node().node_id();
        ++up;
      }
    }
    for (auto& pf : processes_) {
      if (pf.coordinator) continue;
      auto it = by_id.find(pf.old_node_id);
      bool gone = it == by_id.end() || it->second->state() == v1::MEMBER_STATE_DOWN ||
                  it->second->state() == v1::MEMBER_STATE_LEFT;
      if (!pf.down_ms && gone) pf.down_ms = now;
      if (pf.restarted_ms && !pf.back_ms)
        for (const auto& m : view->members())
          if (m.node().name() == pf.node && m.state() == v1::MEMBER_STATE_UP &&
              m.node().node_id() != pf.old_node_id)
            pf.back_ms = now;
    }
    size_t running = 0;
    for (const auto& n : cluster_->nodes()) running += cluster_->running(n);
    for (auto& t : timed_)
      if (t.kind == TimedFault::partition && t.awaited() && now >= t.end_ms && up == running)
        t.over_ms = now;
  }

  void poll_status() {
    v1::RunStatus s;
    if (api_get(cluster_->api(), "/v1/runs/" + run_id_ + "?stories=false", s)) return;
    received_.push_back(s.counts());
    finished_ = s.has_finished_at();
  }

  void progress() {
    size_t running = 0;
    for (const auto& n : cluster_->nodes()) running += cluster_->running(n);
    size_t fired = 0;
    for (const auto& f : faults_) fired += f.fired;
    uint32_t ended = 0, total = static_cast<uint32_t>(plan_stories());
    if (!received_.empty()) {
      const auto& c = received_.back();
      ended = c.succeeded() + c.dead() + c.cancelled();
    }
    char line[160];
    std::snprintf(line, sizeof line,
                  "chaos: %6.1f s  stories %u/%u ended  faults %zu/%zu fired  nodes %zu/%zu up%s",
                  static_cast<double>(now_ms()) / 1e3, ended, total, fired, schedule_.size(),
                  running, cluster_->nodes().size(), healed_ ? "  (healed, settling)" : "");
    say(line);
  }

  // Links whose partition is over come up again.
  void heal_cuts(uint64_t now) {
    for (auto& t : timed_) {
      if (t.cut.empty() || now < t.end_ms) continue;
      for (const auto& node : t.cut)
        if (!netns_->heal(node)) say("chaos: the link of " + node + " did not come up again");
      t.cut.clear();
    }
  }

  // The faults' time is over: node faults cleared, due restarts done now.
  void heal() {
    healed_ = true;
    auto now = now_ms();
    for (auto& t : timed_) t.end_ms = std::min(t.end_ms, now);
    heal_cuts(now);
    for (const auto& node : posted_to_)
      if (cluster_->running(node))
        if (auto err = clear_faults(cluster_->http(node)))
          say("chaos: clearing the faults of " + node + " failed: " + error_message(err));
    say("chaos: faults over at " + std::to_string(now) + " ms: healed; settling for up to " +
        std::to_string(settle_ms_) + " ms");
  }

  // Why a process's agent_tasks_total may exceed what the store has of it.
  std::string inexact_because(const std::string& node) const {
    // A worker that lives through a coordinator kill is exact: results it
    // sent just before are offered again to the next coordinator
    // (kResultKeepWindow), so none of its attempts runs twice.
    for (const auto& t : timed_)
      if (t.nodes.count(node)) return "a partition or link fault touched its sends";
    return "";
  }

  std::vector<ProcessCounters> scrape() {
    std::vector<ProcessCounters> out;
    for (const auto& pf : processes_)
      out.push_back({pf.node + " pid " + std::to_string(pf.pid), pf.old_node_id, false, {}, ""});
    for (const auto& node : cluster_->nodes()) {
      if (!cluster_->running(node)) continue;
      ProcessCounters p{node, node_ids_[node], false, {}, inexact_because(node)};
      if (auto text = api_request("GET", cluster_->metrics(node), "/metrics")) {
        p.scraped = true;
        p.samples = prometheus_samples(*text);
      }
      out.push_back(std::move(p));
    }
    return out;
  }

  std::vector<Recovery> recoveries(const StoredRun& stored) const {
    std::vector<Recovery> out;
    auto seconds = [](uint64_t from, uint64_t to) { return static_cast<double>(to - from) / 1e3; };
    for (const auto& pf : processes_) {
      const auto& id = faults_[pf.record].id;
      if (pf.coordinator) {
        Recovery r{id, pf.node, "ready again", pf.killed_ms, std::nullopt, ""};
        if (pf.back_ms) {
          r.seconds = seconds(pf.killed_ms, *pf.back_ms);
          r.details = "restarted after " + std::to_string(*pf.restarted_ms - pf.killed_ms) +
                      " ms; /health/ready " + std::to_string(*pf.back_ms - *pf.restarted_ms) +
                      " ms after its start";
        }
        out.push_back(std::move(r));
        continue;
      }
      Recovery down{
          id,
          pf.node,
          pf.graceful ? "drained and left the view" : "seen down and its stories placed elsewhere",
          pf.killed_ms,
          std::nullopt,
          ""};
      if (pf.down_ms) {
        uint64_t done = *pf.down_ms;
        size_t lost = 0;
        if (!pf.graceful) {
          // Its attempts the coordinator gave up as lost (around the kill),
          // each until it was placed again.
          // Until the next process fault: its losses are its own.
          uint64_t until = *pf.down_ms + 2000;
          for (const auto& other : processes_)
            if (other.killed_ms > pf.killed_ms) until = std::min(until, other.killed_ms);
          auto from = wall(pf.killed_ms), to = wall(until);
          std::map<std::string, uint64_t> lost_at;  // story -> seq
          for (const auto& t : stored.events) {
            if (attempt_end(t) == AttemptEnd::lost && t.at() >= from && t.at() <= to) {
              lost_at.emplace(t.story_id(), t.seq());
            } else if (t.to() == v1::STORY_STATE_SCHEDULED) {
              auto it = lost_at.find(t.story_id());
              if (it == lost_at.end() || it->second == 0) continue;
              it->second = 0;  // placed again
              ++lost;
              auto ms = TimeUtil::DurationToMilliseconds(t.at() - wall(0));
              done = std::max<uint64_t>(done, static_cast<uint64_t>(std::max<int64_t>(ms, 0)));
            }
          }
          size_t never = 0;
          for (const auto& [story, seq] : lost_at) never += seq != 0;
          down.details = "down after " + std::to_string(*pf.down_ms - pf.killed_ms) + " ms; " +
                         std::to_string(lost) + " lost attempts placed again";
          if (never) down.details += "; " + std::to_string(never) + " never placed again";
          if (!never) down.seconds = seconds(pf.killed_ms, done);
        } else {
          down.seconds = seconds(pf.killed_ms, done);
        }
      }
      out.push_back(std::move(down));
      if (pf.restarts) {
        Recovery back{id,           pf.node,      "back in the view after its restart",
                      pf.killed_ms, std::nullopt, ""};
        if (pf.back_ms && pf.restarted_ms) back.seconds = seconds(*pf.restarted_ms, *pf.back_ms);
        out.push_back(std::move(back));
      }
    }
    for (const auto& t : timed_) {
      if (t.kind == TimedFault::link) continue;
      bool partition = t.kind == TimedFault::partition;
      Recovery r{faults_[t.record].id,
                 partition ? "all" : cluster_->coordinator(),
                 partition ? "up again after the partition" : "ready again once writes succeed",
                 t.end_ms,
                 std::nullopt,
                 "from the fault's end"};
      if (t.over_ms) r.seconds = seconds(t.end_ms, *t.over_ms);
      out.push_back(std::move(r));
    }
    return out;
  }

  ChaosReport conclude() {
    ChaosReport report;
    report.scenario = o_.scenario.name();
    report.seed = o_.seed;
    report.partitions = netns_ ? "network namespaces" : "rad's envelope layer";
    report.run_id = run_id_;
    report.faults = faults_;
    v1::RunStatus api;
    // A coordinator restarted late may still be recovering: ask a while.
    for (auto until = Clock::now() + std::chrono::seconds{10}; Clock::now() < until;) {
      if (!api_get(cluster_->api(), "/v1/runs/" + run_id_, api)) break;
      std::this_thread::sleep_for(Millis{100});  // the retry's pace
    }
    poll_view();
    report.run_state = api.state();
    report.counts = api.counts();
    auto counters = scrape();
    cluster_->stop(Millis{drain_ms_ + 5000});
    std::vector<GracefulStop> stops;
    for (const auto& pf : processes_)
      if (pf.graceful)
        stops.push_back({pf.node, drain_ms_,
                         pf.exited_ms ? *pf.exited_ms - pf.killed_ms : now_ms() - pf.killed_ms,
                         pf.exit_code, pf.drained});
    // Children of a killed node die with it (PR_SET_PDEATHSIG), a moment later.
    auto entry = std::string{kChaosMarkerVariable} + "=" + marker_;
    auto orphans = processes_with_env(entry);
    for (auto until = Clock::now() + std::chrono::seconds{3};
         !orphans.empty() && Clock::now() < until; orphans = processes_with_env(entry))
      std::this_thread::sleep_for(Millis{100});  // the poll's pace
    auto stored =
        read_stored_run(work_dir_ + "/" + cluster_->coordinator() + "/checkpoint", run_id_);
    StoredRun store = stored ? std::move(*stored) : StoredRun{};
    report.recoveries = recoveries(store);
    report.verdicts.push_back(every_story_terminal_once(api, store));
    report.verdicts.push_back(checkpoint_agrees(api, store, received_));
    if (!stored) {
      report.verdicts.back().pass = false;
      report.verdicts.back().details =
          "cannot read the checkpoint store: " + error_message(stored.error());
    }
    report.verdicts.push_back(no_orphan_processes(orphans));
    if (o_.scenario.workload().side_effects()) {
      std::ifstream in{side_effects_path()};
      std::string lines{std::istreambuf_iterator<char>{in}, {}};
      report.verdicts.push_back(side_effects_once(store, lines));
    }
    report.verdicts.push_back(restarts_within_policy(
        plan_, store, run_actor_restarts(cluster_->output(cluster_->coordinator())), api));
    report.verdicts.push_back(drains_within_deadline(stops));
    report.verdicts.push_back(metrics_agree(store, counters));
    report.verdicts.push_back(faults_applied(faults_));
    report.verdicts.push_back(recoveries_completed(report.recoveries));
    cluster_.reset();  // writes the node logs
    return report;
  }

  std::string side_effects_path() const { return work_dir_ + "/side-effects"; }

  const RunnerOptions& o_;
  std::vector<Injection> schedule_;
  std::string work_dir_, marker_, run_id_;
  NetnsLab* netns_;  // null: partitions at the envelope layer
  std::unique_ptr<LocalCluster> cluster_;
  v1::Plan plan_;
  uint64_t window_ms_ = 0, settle_ms_ = 0, drain_ms_ = 0;
  Clock::time_point start_;
  std::chrono::system_clock::time_point start_wall_;
  bool healed_ = false, finished_ = false;
  std::vector<FaultRecord> faults_;
  std::vector<ProcessFault> processes_;
  std::vector<TimedFault> timed_;
  std::set<std::string> posted_to_;
  std::map<std::string, std::string> node_ids_;  // name -> its process's node id
  std::vector<v1::StoryCounts> received_;
};

}  // namespace

caf::expected<ChaosReport> run_chaos(const RunnerOptions& o) {
  if (::access(o.rad_node.c_str(), X_OK) != 0)
    return make_error(Errc::invalid_input,
                      "no rad-node binary at " + o.rad_node + "; name it with --rad-node PATH");
  auto schedule = make_schedule(o.scenario, o.seed);
  if (!schedule) return schedule.error();
  std::error_code ec;
  std::filesystem::create_directories(o.work_dir, ec);
  std::string tmpl = o.work_dir + "/rad-chaos-" + o.scenario.name() + "-XXXXXX";
  if (!::mkdtemp(tmpl.data()))
    return make_error(Errc::invalid_input, "cannot make a directory in the work dir " + o.work_dir +
                                               "; name a writable one with --work-dir");
  std::unique_ptr<NetnsLab> netns;
  if (o.netns) {
    std::string error;
    netns = NetnsLab::create(&error);
    // Joined before any thread starts: every later one inherits the hub.
    if (!netns || !netns->join_hub(&error))
      return make_error(Errc::internal, "network namespaces: " + error +
                                            "; run without --netns (partitions then use rad's "
                                            "envelope layer)");
  }
  auto report = Runner{o, std::move(*schedule), tmpl, netns.get()}.run();
  if (!report)
    return make_error(Errc::internal,
                      error_message(report.error()) + " (node logs in " + tmpl + ")");
  if (o.keep_work_dir || !report->passed())
    report->work_dir = tmpl;
  else
    std::filesystem::remove_all(tmpl, ec);
  return report;
}

}  // namespace rad
