// What must hold after a chaos scenario, each invariant a function of the
// evidence the runner gathered, returning a named verdict whose details say
// what was checked, or what broke (the first offenders by name). Pure but for
// processes_with_env(), which reads /proc.
//
//   auto stored = read_stored_run(dir + "/checkpoint", run_id);
//   auto v = every_story_terminal_once(api_status, *stored);
//   if (!v.pass) std::cerr << v.name << ": " << v.details << "\n";
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chaos/stored_run.h"
#include "rad/v1/plan.pb.h"
#include "rad/v1/run.pb.h"

namespace rad {

struct Verdict {
  std::string name;
  bool pass = true;
  std::string details;
};

// What a stored transition says of the attempt it ends, if any: an agent ran
// it and reported (`ran`), the coordinator gave it up with its node (`lost`,
// also an idempotent: false story ended DEAD for it), or it was refused
// (`refused`: no agent ran it; PENDING "waiting: ...", or FAILED "refused: ..."
// in stores written before refusals were stored as waiting). A transition
// keeps the story's last error as its reason, so a success after a lost
// attempt says "node lost" too: the state it goes to decides.
enum class AttemptEnd { none, ran, lost, refused };
AttemptEnd attempt_end(const v1::StoryTransition& t);

// The run ended; every story of it is in a terminal state in the API, and the
// store holds exactly one terminal transition per story, as its last.
Verdict every_story_terminal_once(const v1::RunStatus& api, const StoredRun& stored);

// The store's stories, its event log and its run summary say what the API
// says (state, attempts, counts); and the counts the client was told while
// the run went on (`received`, in order) never took back an ended story.
Verdict checkpoint_agrees(const v1::RunStatus& api, const StoredRun& stored,
                          const std::vector<v1::StoryCounts>& received);

struct FoundProcess {
  int pid = 0;
  std::string command;
};
// The processes whose environment holds `entry` ("RAD_CHAOS_RUN=ID").
std::vector<FoundProcess> processes_with_env(const std::string& entry);
// No process of the scenario's exec stories outlived the nodes.
Verdict no_orphan_processes(const std::vector<FoundProcess>& found);

// What the commands of a side-effect workload wrote: "+ STORY ATTEMPT" as
// each started and "- STORY ATTEMPT" as it ended (chaos/workload.h). No
// attempt ran twice (each started at most once), and each story the store
// has SUCCEEDED completed the command of its successful attempt exactly once.
Verdict side_effects_once(const StoredRun& stored, const std::string& lines);

// A Run actor restart the coordinator logged.
struct RunActorRestart {
  std::string run_id;
  uint32_t nth = 0, allowed = 0;  // "restarted (nth of allowed within ...)"
  bool escalated = false;         // beyond the intensity: the run fails
};
// The restarts and escalations in a coordinator's log.
std::vector<RunActorRestart> run_actor_restarts(const std::string& log);
// Attempts stay within each story's max_attempts (lost attempts within
// `max_node_losses`), each retry waits at least its backoff's lower bound,
// and Run actor restarts stay within the Supervisor's intensity (a run beyond
// it has failed).
Verdict restarts_within_policy(const v1::Plan& plan, const StoredRun& stored,
                               const std::vector<RunActorRestart>& restarts,
                               const v1::RunStatus& api, uint32_t max_node_losses = 5);

// A node stopped with SIGTERM.
struct GracefulStop {
  std::string node;
  uint64_t deadline_ms = 0;  // its agents.drain_timeout_ms
  uint64_t took_ms = 0;      // from SIGTERM to exit
  std::optional<int> exit_code;
  bool drained = false;  // it logged that every agent finished and reported
};
// Beyond the deadline a node still sends its results, leaves and exits.
inline constexpr uint64_t kDrainExitGraceMs = 3000;
// Each drained (every agent finished) and exited 0 within its deadline.
Verdict drains_within_deadline(const std::vector<GracefulStop>& stops);

// One node process's agent_tasks_total, scraped once the run had ended.
struct ProcessCounters {
  std::string node, node_id;
  bool scraped = false;
  std::map<std::string, double> samples;  // its /metrics (client/prometheus_text.h)
  // Why its count may exceed the store's (results it sent may have been lost:
  // a partition, a link fault, a coordinator restart); empty: it must be equal.
  std::string inexact_because;
};
// Per process, the attempts the store has as finished there (results applied
// from that node id; lost and refused attempts are not) against its
// agent_tasks_total, in all and succeeded: equal for a process whose results
// all arrived, at most the metric otherwise (it counts before it sends).
// Processes that were killed or drained took their counters with them.
Verdict metrics_agree(const StoredRun& stored, const std::vector<ProcessCounters>& processes);

// A fault as the runner injected it.
struct FaultRecord {
  std::string id, kind;
  uint64_t at_ms = 0;     // planned, from the start of the scenario
  uint64_t fired_ms = 0;  // when it was done
  std::vector<std::string> nodes;
  bool fired = false;  // its probability draw let it fire
  // Per node: what it said it did, or why it could not.
  std::vector<std::pair<std::string, std::string>> answers;
  bool applied = false;
};
// Every fault that fired was applied by every node it was posted to (or, for
// process faults, done).
Verdict faults_applied(const std::vector<FaultRecord>& faults);

// How long the cluster took to get over a fault.
struct Recovery {
  std::string fault_id, node, what;  // what: "down and re-placed", "ready", "back in view"
  uint64_t fault_ms = 0;             // when the fault was done
  std::optional<double> seconds;     // none: it did not recover
  std::string details;
};
Verdict recoveries_completed(const std::vector<Recovery>& recoveries);

}  // namespace rad
