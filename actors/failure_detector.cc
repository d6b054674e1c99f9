#include "actors/failure_detector.h"

#include <algorithm>

namespace rad {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

void FailureDetector::watch(const std::string& peer, Clock::time_point now) {
  auto& p = peers_[peer];
  p = Peer{};
  p.last_arrival = p.silent_since = now;
}

void FailureDetector::forget(const std::string& peer) { peers_.erase(peer); }

std::optional<FailureDetector::State> FailureDetector::state(const std::string& peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return std::nullopt;
  return it->second.state;
}

std::optional<FailureDetector::Verdict> FailureDetector::heard(const std::string& peer,
                                                               Clock::time_point now) {
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.state == State::down) return std::nullopt;
  auto& p = it->second;
  p.gaps.push_back(now - p.last_arrival);
  if (p.gaps.size() > options_.history) p.gaps.pop_front();
  auto silent = duration_cast<milliseconds>(now - p.silent_since);
  p.last_arrival = p.silent_since = now;
  if (p.state != State::suspect) return std::nullopt;
  p.state = State::up;
  return Verdict{peer, State::up, silent, deadline_of(p)};
}

void FailureDetector::ran_late(Clock::duration late, Clock::time_point now) {
  if (late <= Clock::duration::zero()) return;
  for (auto& [id, p] : peers_) p.silent_since = std::min(now, p.silent_since + late);
}

std::vector<FailureDetector::Verdict> FailureDetector::check(Clock::time_point now) {
  std::vector<Verdict> out;
  for (auto& [id, p] : peers_) {
    if (p.state == State::down) continue;
    auto silent = duration_cast<milliseconds>(now - p.silent_since);
    auto deadline = deadline_of(p);
    State next = silent >= deadline       ? State::down
                 : silent >= deadline / 2 ? State::suspect
                                          : p.state;
    if (next == p.state) continue;
    p.state = next;
    out.push_back({id, next, silent, deadline});
  }
  return out;
}

milliseconds FailureDetector::deadline(const std::string& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? options_.down_after : deadline_of(it->second);
}

milliseconds FailureDetector::deadline_of(const Peer& p) const {
  Clock::duration longest{0};
  for (auto gap : p.gaps) longest = std::max(longest, gap);
  auto grown = duration_cast<milliseconds>(longest * options_.gap_factor);
  return std::clamp(grown, options_.down_after,
                    std::max(options_.down_after, options_.max_down_after));
}

}  // namespace rad
