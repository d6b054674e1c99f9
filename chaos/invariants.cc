#include "chaos/invariants.h"

#include <dirent.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>

#include "actors/backoff.h"
#include "actors/retry_semantics.h"
#include "actors/run_state.h"

namespace rad {
namespace {

using google::protobuf::util::TimeUtil;

// Offenders are listed up to this many, then counted.
constexpr size_t kListed = 5;

class Offenders {
 public:
  void add(std::string what) {
    if (list_.size() < kListed) list_.push_back(std::move(what));
    ++count_;
  }
  bool any() const { return count_ > 0; }
  std::string text() const {
    std::string out;
    for (const auto& s : list_) out += (out.empty() ? "" : "; ") + s;
    if (count_ > list_.size()) out += "; and " + std::to_string(count_ - list_.size()) + " more";
    return out;
  }

 private:
  std::vector<std::string> list_;
  size_t count_ = 0;
};

Verdict verdict(std::string name, const Offenders& offenders, std::string when_pass) {
  return {std::move(name), !offenders.any(), offenders.any() ? offenders.text() : when_pass};
}

std::string state_word(v1::StoryState s) {
  auto name = v1::StoryState_Name(s);
  return name.substr(name.rfind('_') + 1);
}

std::map<std::string, const v1::StoryStatus*> api_stories(const v1::RunStatus& api) {
  std::map<std::string, const v1::StoryStatus*> out;
  for (const auto& w : api.waves())
    for (const auto& s : w.stories()) out[s.id()] = &s;
  return out;
}

uint32_t ended(const v1::StoryCounts& c) { return c.succeeded() + c.dead() + c.cancelled(); }

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "status" and "kind" of agent_tasks_total{kind="mock",status="succeeded"}.
std::string label(const std::string& series, const std::string& name) {
  auto at = series.find(name + "=\"");
  if (at == std::string::npos) return "";
  at += name.size() + 2;
  return series.substr(at, series.find('"', at) - at);
}

}  // namespace

AttemptEnd attempt_end(const v1::StoryTransition& t) {
  bool placed = t.from() == v1::STORY_STATE_SCHEDULED || t.from() == v1::STORY_STATE_RUNNING;
  if (!placed) return AttemptEnd::none;
  const auto& why = t.reason();
  // Lost: placed again at once (PENDING), dead after too many losses, or
  // dead at once for a story that must not run twice.
  if ((t.to() == v1::STORY_STATE_PENDING && why == "node lost") ||
      (t.to() == v1::STORY_STATE_DEAD &&
       (starts_with(why, "lost with its node") || ends_with(why, kNotRunAgain))))
    return AttemptEnd::lost;
  // Refused: waiting again (PENDING), or in older stores backing off (FAILED).
  if ((t.to() == v1::STORY_STATE_PENDING && starts_with(why, kWaiting)) ||
      (t.to() == v1::STORY_STATE_FAILED && starts_with(why, "refused: ")))
    return AttemptEnd::refused;
  return AttemptEnd::ran;
}

Verdict every_story_terminal_once(const v1::RunStatus& api, const StoredRun& stored) {
  const char* name = "every_story_terminal_once";
  Offenders bad;
  const auto& c = api.counts();
  if (!api.has_finished_at())
    bad.add("the run did not end: " + v1::RunState_Name(api.state()) + ", " +
            std::to_string(ended(c)) + " of " + std::to_string(c.total()) + " stories ended");
  if (ended(c) != c.total())
    bad.add("the API counts " + std::to_string(ended(c)) + " ended of " +
            std::to_string(c.total()));
  auto stories = api_stories(api);
  if (stories.size() != c.total())
    bad.add("the API lists " + std::to_string(stories.size()) + " stories of " +
            std::to_string(c.total()));
  for (const auto& [id, s] : stories)
    if (!is_terminal(s->state())) bad.add(id + " is " + state_word(s->state()) + " in the API");

  std::map<std::string, int> ends;
  std::map<std::string, v1::StoryState> last;
  uint64_t seq = 0;
  for (const auto& t : stored.events) {
    if (t.seq() <= seq)
      bad.add("event " + std::to_string(t.seq()) + " after " + std::to_string(seq));
    seq = t.seq();
    if (is_terminal(last[t.story_id()]))
      bad.add(t.story_id() + " moved on after it ended: " + state_word(last[t.story_id()]) +
              " -> " + state_word(t.to()) + " (seq " + std::to_string(t.seq()) + ")");
    last[t.story_id()] = t.to();
    if (is_terminal(t.to())) ++ends[t.story_id()];
  }
  for (const auto& [id, s] : stories)
    if (ends[id] != 1) bad.add(id + " ended " + std::to_string(ends[id]) + " times in the store");
  for (const auto& [id, n] : ends)
    if (!stories.count(id)) bad.add(id + " is in the store but not in the API");
  return verdict(name, bad,
                 std::to_string(stories.size()) + " stories each ended exactly once (" +
                     std::to_string(c.succeeded()) + " succeeded, " + std::to_string(c.dead()) +
                     " dead, " + std::to_string(c.cancelled()) + " cancelled); " +
                     std::to_string(stored.events.size()) + " events in the store");
}

Verdict checkpoint_agrees(const v1::RunStatus& api, const StoredRun& stored,
                          const std::vector<v1::StoryCounts>& received) {
  const char* name = "checkpoint_agrees";
  Offenders bad;
  if (!stored.summary) {
    bad.add("the store has no run " + api.run_id());
  } else {
    const auto& s = *stored.summary;
    if (s.state() != api.state())
      bad.add("run state: store " + v1::RunState_Name(s.state()) + ", API " +
              v1::RunState_Name(api.state()));
    const auto &a = s.counts(), &b = api.counts();
    if (a.total() != b.total() || a.succeeded() != b.succeeded() || a.dead() != b.dead() ||
        a.cancelled() != b.cancelled())
      bad.add("run counts: store " + a.ShortDebugString() + ", API " + b.ShortDebugString());
  }
  std::map<std::string, const v1::StoryTransition*> last;
  for (const auto& t : stored.events) last[t.story_id()] = &t;
  for (const auto& [id, s] : api_stories(api)) {
    auto it = stored.stories.find(id);
    if (it == stored.stories.end()) {
      bad.add(id + ": not in the store's stories");
      continue;
    }
    if (it->second.state() != s->state())
      bad.add(id + ": store " + state_word(it->second.state()) + ", API " + state_word(s->state()));
    if (it->second.attempts() != s->attempts())
      bad.add(id + ": store " + std::to_string(it->second.attempts()) + " attempts, API " +
              std::to_string(s->attempts()));
    auto e = last.find(id);
    if (e == last.end()) {
      bad.add(id + ": no event in the store");
    } else if (e->second->to() != s->state() || e->second->attempt() != s->attempts()) {
      bad.add(id + ": its last event is " + state_word(e->second->to()) + " of attempt " +
              std::to_string(e->second->attempt()) + ", the API says " + state_word(s->state()) +
              " after " + std::to_string(s->attempts()));
    }
  }
  const auto& final_counts = api.counts();
  for (size_t i = 0; i < received.size(); ++i) {
    const auto& r = received[i];
    auto back = [&](const char* what, uint32_t now, uint32_t later) {
      if (now > later)
        bad.add(std::string{"progress read "} + std::to_string(i + 1) + " had " +
                std::to_string(now) + " " + what + ", later fewer (" + std::to_string(later) + ")");
    };
    const auto& next = i + 1 < received.size() ? received[i + 1] : final_counts;
    back("succeeded", r.succeeded(), next.succeeded());
    back("dead", r.dead(), next.dead());
    back("cancelled", r.cancelled(), next.cancelled());
  }
  return verdict(name, bad,
                 "store stories, events and summary agree with the API on " +
                     std::to_string(api.counts().total()) + " stories; " +
                     std::to_string(received.size()) +
                     " progress reads during the run never took back an ended story");
}

std::vector<FoundProcess> processes_with_env(const std::string& entry) {
  std::vector<FoundProcess> found;
  DIR* proc = ::opendir("/proc");
  if (!proc) return found;
  while (auto* e = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::string dir = std::string{"/proc/"} + e->d_name;
    std::ifstream environ_file{dir + "/environ", std::ios::binary};
    if (!environ_file) continue;  // gone, or another user's
    std::string env{std::istreambuf_iterator<char>{environ_file}, {}};
    // Entries are NUL-separated: a whole entry must match.
    bool has = false;
    std::istringstream entries{env};
    for (std::string e; !has && std::getline(entries, e, '\0');) has = e == entry;
    if (!has) continue;
    std::ifstream cmdline_file{dir + "/cmdline", std::ios::binary};
    std::string cmd{std::istreambuf_iterator<char>{cmdline_file}, {}};
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    found.push_back({static_cast<int>(pid), cmd});
  }
  ::closedir(proc);
  return found;
}

Verdict no_orphan_processes(const std::vector<FoundProcess>& found) {
  Offenders bad;
  for (const auto& p : found) bad.add("pid " + std::to_string(p.pid) + ": " + p.command);
  return verdict("no_orphan_processes", bad,
                 "no process of the scenario's exec stories outlived the nodes");
}

Verdict side_effects_once(const StoredRun& stored, const std::string& lines) {
  std::map<std::pair<std::string, uint32_t>, int> starts, ends;
  std::istringstream in{lines};
  std::string sign, story;
  uint32_t attempt = 0;
  size_t commands = 0;
  while (in >> sign >> story >> attempt) {
    (sign == "+" ? starts : ends)[{story, attempt}]++;
    commands += sign == "+";
  }
  Offenders bad;
  for (const auto& [key, n] : starts)
    if (n > 1)
      bad.add(key.first + " attempt " + std::to_string(key.second) + " started " +
              std::to_string(n) + " times");
  size_t succeeded = 0;
  for (const auto& [id, s] : stored.stories) {
    if (s.state() != v1::STORY_STATE_SUCCEEDED) continue;
    ++succeeded;
    auto n = ends[{id, s.attempts()}];
    if (n != 1)
      bad.add(id + " succeeded with attempt " + std::to_string(s.attempts()) +
              ", whose command completed " + std::to_string(n) + " times");
  }
  return verdict("side_effects_once", bad,
                 std::to_string(commands) + " commands started, no attempt twice; each of " +
                     std::to_string(succeeded) +
                     " succeeded stories completed its command exactly once");
}

std::vector<RunActorRestart> run_actor_restarts(const std::string& log) {
  static const std::regex restarted{
      R"(run (\S+): run actor crashed .*?; restarted \((\d+) of (\d+) within)"};
  static const std::regex escalated{
      R"(run (\S+): run actor crashed (\d+) times within the restart window)"};
  std::vector<RunActorRestart> out;
  std::istringstream lines{log};
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, restarted))
      out.push_back({m[1], static_cast<uint32_t>(std::stoul(m[2])),
                     static_cast<uint32_t>(std::stoul(m[3])), false});
    else if (std::regex_search(line, m, escalated))
      out.push_back({m[1], static_cast<uint32_t>(std::stoul(m[2])), 0, true});
  }
  return out;
}

Verdict restarts_within_policy(const v1::Plan& plan, const StoredRun& stored,
                               const std::vector<RunActorRestart>& restarts,
                               const v1::RunStatus& api, uint32_t max_node_losses) {
  Offenders bad;
  std::map<std::string, const v1::Story*> specs;
  for (const auto& w : plan.waves())
    for (const auto& s : w.stories()) specs[s.id()] = &s;
  struct Seen {
    uint32_t ran = 0, lost = 0;  // attempts that reported; attempts lost with their node
    uint32_t failed = 0;         // of those that ran, the failed ones
    std::optional<google::protobuf::Timestamp> failed_at;  // waiting for its backoff
  };
  std::map<std::string, Seen> seen;
  uint32_t retries = 0;
  for (const auto& t : stored.events) {
    auto spec = specs.find(t.story_id());
    if (spec == specs.end()) continue;
    auto& s = seen[t.story_id()];
    const auto& why = t.reason();
    switch (attempt_end(t)) {
      case AttemptEnd::lost:
        ++s.lost;
        break;
      case AttemptEnd::ran:
        // CANCELLED attempts are the run's cancel, not the policy's.
        if (t.to() != v1::STORY_STATE_CANCELLED) ++s.ran;
        if (t.to() == v1::STORY_STATE_FAILED) {
          ++s.failed;
          ++retries;
          s.failed_at = t.at();
        }
        break;
      default:
        break;
    }
    if (t.from() == v1::STORY_STATE_FAILED && t.to() == v1::STORY_STATE_PENDING && s.failed_at &&
        why == "backoff over") {
      auto waited = TimeUtil::DurationToMilliseconds(t.at() - *s.failed_at);
      // The delay's lower bound: its jitter at the low end; 2 ms of clock granularity.
      auto least = backoff_delay(spec->second->backoff(), s.failed, 0.0).count() - 2;
      if (waited < least)
        bad.add(t.story_id() + ": retry of attempt " + std::to_string(t.attempt()) + " after " +
                std::to_string(waited) + " ms, its backoff is at least " + std::to_string(least) +
                " ms");
    }
    if (t.to() != v1::STORY_STATE_FAILED) s.failed_at.reset();
  }
  for (const auto& [id, s] : seen) {
    auto allowed = max_attempts_of(*specs[id]);
    if (s.ran > allowed)
      bad.add(id + ": " + std::to_string(s.ran) + " attempts ran, " + std::to_string(allowed) +
              " allowed");
    if (s.lost > max_node_losses + 1)
      bad.add(id + ": lost with its node " + std::to_string(s.lost) + " times, " +
              std::to_string(max_node_losses) + " allowed before it is dead");
  }
  size_t actor_restarts = 0;
  for (const auto& r : restarts) {
    if (r.escalated) {
      if (r.run_id == api.run_id() && api.state() != v1::RUN_STATE_FAILED)
        bad.add("run " + r.run_id + " went beyond the restart intensity but did not fail");
      continue;
    }
    ++actor_restarts;
    if (r.nth > r.allowed)
      bad.add("run " + r.run_id + ": Run actor restart " + std::to_string(r.nth) + " of " +
              std::to_string(r.allowed) + " allowed");
  }
  return verdict("restarts_within_policy", bad,
                 std::to_string(retries) +
                     " retries of failed attempts, each within max_attempts "
                     "and after its backoff; " +
                     std::to_string(actor_restarts) +
                     " Run actor restarts, within the Supervisor's intensity");
}

Verdict drains_within_deadline(const std::vector<GracefulStop>& stops) {
  Offenders bad;
  for (const auto& s : stops) {
    if (!s.exit_code)
      bad.add(s.node + " did not exit " + std::to_string(s.took_ms) + " ms after SIGTERM");
    else if (*s.exit_code != 0)
      bad.add(s.node + " exited " + std::to_string(*s.exit_code) + " after SIGTERM");
    else if (!s.drained)
      bad.add(s.node + " did not drain: its deadline of " + std::to_string(s.deadline_ms) +
              " ms passed with agents running");
    else if (s.took_ms > s.deadline_ms + kDrainExitGraceMs)
      bad.add(s.node + " took " + std::to_string(s.took_ms) + " ms to drain and exit; deadline " +
              std::to_string(s.deadline_ms) + " ms (+" + std::to_string(kDrainExitGraceMs) +
              " ms to exit)");
  }
  std::string pass = stops.empty()
                         ? "no graceful stop in this scenario"
                         : std::to_string(stops.size()) +
                               " graceful stops drained and exited 0 within their deadline";
  for (const auto& s : stops) pass += "; " + s.node + " in " + std::to_string(s.took_ms) + " ms";
  return verdict("drains_within_deadline", bad, pass);
}

Verdict metrics_agree(const StoredRun& stored, const std::vector<ProcessCounters>& processes) {
  struct Count {
    double all = 0, succeeded = 0;
  };
  std::map<std::string, Count> in_store;  // by node id
  for (const auto& t : stored.events)
    if (attempt_end(t) == AttemptEnd::ran) {
      auto& c = in_store[t.node_id()];
      ++c.all;
      if (t.to() == v1::STORY_STATE_SUCCEEDED) ++c.succeeded;
    }
  Offenders bad;
  std::string checked;
  auto line = [](const std::string& node, const Count& m, const Count& s, const char* relation) {
    std::ostringstream out;
    out << node << ": metric " << m.all << " (" << m.succeeded << " succeeded) " << relation
        << " store " << s.all << " (" << s.succeeded << ")";
    return out.str();
  };
  for (const auto& p : processes) {
    if (!p.scraped) {
      checked +=
          (checked.empty() ? "" : "; ") + p.node + ": not counted (its counters died with it)";
      continue;
    }
    Count metric;
    for (const auto& [series, value] : p.samples) {
      if (!starts_with(series, "agent_tasks_total{")) continue;
      metric.all += value;
      if (label(series, "status") == "succeeded") metric.succeeded += value;
    }
    const auto& store = in_store[p.node_id];
    bool exact = p.inexact_because.empty();
    bool ok = exact ? metric.all == store.all && metric.succeeded == store.succeeded
                    : metric.all >= store.all && metric.succeeded >= store.succeeded;
    auto text = line(p.node, metric, store, exact ? "==" : ">=");
    if (!exact) text += " (bound only: " + p.inexact_because + ")";
    if (ok)
      checked += (checked.empty() ? "" : "; ") + text;
    else
      bad.add(text + ": they disagree");
  }
  return verdict("metrics_agree", bad, checked.empty() ? "no node process to check" : checked);
}

Verdict faults_applied(const std::vector<FaultRecord>& faults) {
  Offenders bad;
  size_t fired = 0;
  for (const auto& f : faults) {
    if (!f.fired) continue;
    ++fired;
    if (f.applied) continue;
    std::string why;
    for (const auto& [node, answer] : f.answers)
      why += (why.empty() ? "" : ", ") + node + ": " + answer;
    bad.add(f.id + " (" + f.kind + ") not applied: " + (why.empty() ? "no node to apply it" : why));
  }
  return verdict("faults_applied", bad,
                 std::to_string(fired) + " of " + std::to_string(faults.size()) +
                     " faults fired (by their probability draw), each applied");
}

Verdict recoveries_completed(const std::vector<Recovery>& recoveries) {
  Offenders bad;
  std::string pass;
  for (const auto& r : recoveries) {
    if (!r.seconds) {
      bad.add(r.fault_id + ": " + r.node + " never " + r.what + (r.details.empty() ? "" : ": ") +
              r.details);
      continue;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, " in %.2f s", *r.seconds);
    pass += (pass.empty() ? "" : "; ") + r.node + " " + r.what + buf;
  }
  return verdict("recoveries_completed", bad, pass.empty() ? "nothing to recover from" : pass);
}

}  // namespace rad
