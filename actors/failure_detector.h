// Failure detection of silent peers, as pure logic: time is passed in and
// nothing is sent (the Pulse actor does the messaging).
//
// A peer is down once it has been silent past its deadline, and suspect from
// half of it. The deadline is `down_after` at least, and grows with the gaps
// seen between the peer's heartbeats (gap_factor times the longest of the
// last `history` gaps, at most max_down_after): a peer whose heartbeats come
// late because it is busy gets the time it needs, while a frozen or cut-off
// idle peer is still down after `down_after`.
//
// Local health, as in memberlist's Lifeguard: time this node's own timers ran
// late is counted as nobody's silence. A node that was not running (starved,
// stopped, swapping) blames itself, not its peers.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rad {

struct DetectorOptions {
  // The least silence after which a peer is down; suspect from half of it.
  std::chrono::milliseconds down_after{600};
  // The most silence a peer may need, however late its heartbeats came.
  std::chrono::milliseconds max_down_after{6000};
  // The deadline is at least this many times the longest recent gap.
  double gap_factor = 3.0;
  // Gaps remembered per peer.
  size_t history = 64;
};

class FailureDetector {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { up, suspect, down };
  struct Verdict {
    std::string peer;
    State state;
    std::chrono::milliseconds silent;  // at the verdict
    std::chrono::milliseconds deadline;
  };

  explicit FailureDetector(DetectorOptions options) : options_(options) {}

  // Starts watching `peer` (again), up and heard now.
  void watch(const std::string& peer, Clock::time_point now);
  void forget(const std::string& peer);
  bool watching(const std::string& peer) const { return peers_.count(peer) != 0; }
  std::optional<State> state(const std::string& peer) const;

  // A heartbeat of `peer` arrived now. A suspect peer is up again (the
  // verdict says so); a down one stays down: it must be watched anew.
  std::optional<Verdict> heard(const std::string& peer, Clock::time_point now);

  // This node's own timer ran `late` behind its time, at `now`: that much of
  // every peer's current silence was this node's, not the peer's.
  void ran_late(Clock::duration late, Clock::time_point now);

  // The peers whose state changed since the last check.
  std::vector<Verdict> check(Clock::time_point now);

  // How long `peer` may be silent before it is down, as of now.
  std::chrono::milliseconds deadline(const std::string& peer) const;

 private:
  struct Peer {
    State state = State::up;
    Clock::time_point last_arrival;  // of its latest heartbeat
    Clock::time_point silent_since;  // last_arrival, moved on by this node's lateness
    std::deque<Clock::duration> gaps;
  };
  std::chrono::milliseconds deadline_of(const Peer& p) const;

  DetectorOptions options_;
  std::map<std::string, Peer> peers_;
};

}  // namespace rad
