#include "actors/run_state.h"

#include <unordered_set>
#include <utility>

#include "actors/backoff.h"
#include "actors/retry_semantics.h"
#include "runtime/clock.h"
#include "runtime/trace.h"

namespace rad {
namespace {

std::string outcome_text(const v1::StoryResult& r) {
  if (!r.error().empty()) return r.error();
  auto name = v1::Outcome_Name(r.outcome());
  return name.rfind("OUTCOME_", 0) == 0 ? name.substr(8) : name;
}

}  // namespace

RunState::RunState(std::string run_id, v1::Plan plan, RunOptions options)
    : run_id_(std::move(run_id)),
      plan_(std::make_shared<const v1::Plan>(std::move(plan))),
      options_(std::move(options)) {
  if (options_.traceparent.empty()) options_.traceparent = new_traceparent();
  size_t count = 0;
  for (const auto& w : plan_->waves()) count += static_cast<size_t>(w.stories_size());
  stories_.reserve(count);
  index_.reserve(count);
  for (int w = 0; w < plan_->waves_size(); ++w) {
    Wave wave;
    wave.first = stories_.size();
    for (const auto& spec : plan_->waves(w).stories()) {
      index_.emplace(spec.id(), static_cast<uint32_t>(stories_.size()));
      Story story;
      story.spec = &spec;
      story.wave = w;
      stories_.push_back(story);
    }
    wave.end = stories_.size();
    waves_.push_back(std::move(wave));
  }
  if (options_.metrics)
    options_.metrics->stories_added(v1::STORY_STATE_PENDING, static_cast<double>(stories_.size()));
  // Validation guarantees every dependency exists, in this or an earlier wave.
  // Dependents are laid out one story after the other: count, then fill.
  for (auto& s : stories_)
    for (const auto& dep : s.spec->depends_on())
      if (auto it = index_.find(dep); it != index_.end()) {
        ++stories_[it->second].dependents;
        ++s.unmet;
      }
  uint32_t next = 0;
  for (auto& s : stories_) {
    s.first_dependent = next;
    next += s.dependents;
    s.dependents = 0;
  }
  dependents_.resize(next);
  for (size_t j = 0; j < stories_.size(); ++j)
    for (const auto& dep : stories_[j].spec->depends_on())
      if (auto it = index_.find(dep); it != index_.end()) {
        auto& d = stories_[it->second];
        dependents_[d.first_dependent + d.dependents++] = static_cast<uint32_t>(j);
      }
}

const std::string& RunState::error_of(size_t i) const {
  static const std::string none;
  auto it = errors_.find(static_cast<uint32_t>(i));
  return it == errors_.end() ? none : it->second;
}

void RunState::set_error(size_t i, std::string error) {
  errors_[static_cast<uint32_t>(i)] = std::move(error);
}

void RunState::set_node(size_t i, const std::string& node_id) {
  auto [it, added] = node_index_.emplace(node_id, static_cast<uint32_t>(nodes_.size()));
  if (added) nodes_.push_back(node_id);
  stories_[i].node = it->second;
}

RunState::~RunState() {
  if (options_.metrics)
    for (const auto& s : stories_) options_.metrics->stories_added(s.state, -1);
}

bool is_terminal(v1::StoryState s) {
  return s == v1::STORY_STATE_SUCCEEDED || s == v1::STORY_STATE_DEAD ||
         s == v1::STORY_STATE_CANCELLED;
}

std::vector<PlacedAttempt> RunState::take_ready(Clock::time_point now, size_t max) {
  advance(now);
  std::vector<PlacedAttempt> out;
  if (finished() || cancelling_ || current_wave_ < 0) return out;
  auto& wave = waves_[static_cast<size_t>(current_wave_)];
  uint32_t limit = plan_->waves(current_wave_).max_concurrent();
  while (!wave.ready.empty() && (limit == 0 || wave.active < limit) && out.size() < max) {
    size_t i = wave.ready.front();
    wave.ready.pop_front();
    auto& s = stories_[i];
    if (s.state != v1::STORY_STATE_PENDING || s.waiting_retry) continue;
    ++s.attempt;
    // Placed again after refusals that were not recorded, the story is still
    // SCHEDULED for this very attempt in the store: all a restart needs to
    // know (it may run: ask the nodes). Nothing new to write.
    bool on_record =
        s.recorded_state == v1::STORY_STATE_SCHEDULED && s.recorded_attempt == s.attempt;
    set_state(i, v1::STORY_STATE_SCHEDULED, now, "", !on_record);
    if (s.attempt == 1) s.started_at = now;
    ++wave.active;
    ++in_flight_;
    out.push_back({s.spec, s.attempt, false});
  }
  return out;
}

v1::SpawnRequest RunState::request_of(size_t i) const {
  auto traceparent = child_traceparent(options_.traceparent);
  PlacementGroup group{run_id_, plan_, static_cast<uint64_t>(options_.default_timeout.count()),
                       traceparent, traceparent};
  return spawn_request_of(group, {stories_[i].spec, stories_[i].attempt, false});
}

std::vector<v1::SpawnRequest> RunState::take_adoptable() {
  std::vector<v1::SpawnRequest> out;
  out.reserve(adoptable_.size());
  for (size_t i : adoptable_) {
    auto st = stories_[i].state;
    if (st == v1::STORY_STATE_SCHEDULED || st == v1::STORY_STATE_RUNNING)
      out.push_back(request_of(i));
  }
  adoptable_.clear();
  return out;
}

RunState::Effect RunState::on_result(const v1::StoryResult& r, Clock::time_point now,
                                     double unit_random) {
  Effect effect;
  size_t i = find_story(r.story_id());
  if (i == stories_.size()) return effect;
  auto& s = stories_[i];
  bool placed = s.state == v1::STORY_STATE_SCHEDULED || s.state == v1::STORY_STATE_RUNNING;
  if (!placed || r.attempt() != s.attempt) return effect;  // stale or a duplicate
  effect.applied = true;
  effect.story = i;
  --in_flight_;
  --waves_[static_cast<size_t>(s.wave)].active;
  if (!r.node_id().empty()) set_node(i, r.node_id());
  // A result of a placed attempt: a refusal after it is news again.
  if (r.outcome() != v1::OUTCOME_UNSPECIFIED) s.refusal_recorded = false;

  auto again = [&](std::optional<std::chrono::milliseconds> after) {
    set_state(i, after ? v1::STORY_STATE_FAILED : v1::STORY_STATE_PENDING, now, error_of(i));
    if (after) {
      s.waiting_retry = true;
      effect.retry_in = after;
    } else {
      // A lost attempt goes first: it was placed before everything still waiting.
      waves_[static_cast<size_t>(s.wave)].ready.push_front(i);
    }
  };

  if (cancelling_) {
    // The user's word holds: once the run is cancelled, whatever an attempt
    // reports ends its story CANCELLED, a success too (what it reported is in
    // the reason). The cancel is acknowledged only once it is durable, after
    // it was applied here, so no story ends otherwise after the acknowledgement.
    if (r.outcome() == v1::OUTCOME_UNSPECIFIED) --s.attempt;  // refused: nothing ran
    std::string why = "run cancelled";
    if (r.outcome() == v1::OUTCOME_SUCCEEDED)
      why += "; its attempt succeeded after the cancel and is not counted";
    finish_story(i, v1::STORY_STATE_CANCELLED, why, now);
    advance(now);
    return effect;
  }
  switch (r.outcome()) {
    case v1::OUTCOME_SUCCEEDED:
      finish_story(i, v1::STORY_STATE_SUCCEEDED, "", now);
      break;
    case v1::OUTCOME_UNSPECIFIED:
      // Refused: nothing ran, so it is neither an attempt nor a failure. The
      // story waits, PENDING, and is placed again after refused_retry.
      --s.attempt;
      set_error(i, kWaiting + outcome_text(r));
      // Recorded once until it is placed: 100,000 stories refused every
      // refused_retry would otherwise write two transitions each per round.
      // Unrecorded, the store keeps the story SCHEDULED for the same attempt,
      // which a restart handles as it should (ask the nodes, then place it).
      // Not so an idempotent: false story: a restart gives up an attempt no
      // node reports, so it is recorded waiting each time, to be placed then.
      set_state(i, v1::STORY_STATE_PENDING, now, error_of(i),
                !s.refusal_recorded || !idempotent(*s.spec));
      s.refusal_recorded = true;
      s.waiting_retry = true;
      effect.retry_in = options_.refused_retry;
      break;
    case v1::OUTCOME_NODE_LOST:
      if (!idempotent(*s.spec)) {
        // Its outcome is unknown and running it again could repeat its
        // effects: at most once, so it is over.
        finish_story(i, v1::STORY_STATE_DEAD, not_run_again_reason(s.attempt, r.error()), now);
        break;
      }
      set_error(i, "node lost");
      if (++s.lost <= options_.max_node_losses)
        again(std::nullopt);  // a new attempt elsewhere, at once
      else
        finish_story(i, v1::STORY_STATE_DEAD,
                     "lost with its node " + std::to_string(s.lost) + " times", now);
      break;
    default:
      set_error(i, outcome_text(r));
      if (++s.failed < max_attempts_of(*s.spec)) {
        again(backoff_delay(s.spec->backoff(), s.failed, unit_random));
      } else {
        finish_story(i, v1::STORY_STATE_DEAD,
                     error_of(i) + " (attempt " + std::to_string(s.attempt) + " of " +
                         std::to_string(max_attempts_of(*s.spec)) + ")",
                     now);
      }
  }
  advance(now);
  return effect;
}

void RunState::retry_due(size_t i) {
  if (i >= stories_.size()) return;
  auto& s = stories_[i];
  if (!s.waiting_retry || is_terminal(s.state)) return;
  s.waiting_retry = false;
  if (cancelling_) {
    finish_story(i, v1::STORY_STATE_CANCELLED, "run cancelled", Clock::now());
    advance(Clock::now());
    return;
  }
  set_state(i, v1::STORY_STATE_PENDING, Clock::now(), "backoff over");
  waves_[static_cast<size_t>(s.wave)].ready.push_back(i);
}

size_t RunState::restore(const std::vector<v1::StoryTransition>& transitions,
                         Clock::time_point now) {
  // A refusal is stored as PENDING with the attempt number of the attempt
  // before it, so it counts as nothing here. Stores written before that
  // stored it as FAILED with that number: counting each attempt's failure
  // once reads them right too.
  std::vector<uint32_t> failed_attempt(stories_.size(), 0);
  for (const auto& t : transitions) {
    auto it = index_.find(t.story_id());
    if (it == index_.end()) continue;
    auto& s = stories_[it->second];
    s.state = s.recorded_state = t.to();
    s.attempt = s.recorded_attempt = t.attempt();
    if (!t.node_id().empty()) set_node(it->second, t.node_id());
    if (!t.reason().empty()) set_error(it->second, t.reason());
    if (t.to() == v1::STORY_STATE_FAILED && t.attempt() > failed_attempt[it->second]) {
      failed_attempt[it->second] = t.attempt();
      ++s.failed;
    }
    seq_ = std::max(seq_, t.seq());
  }
  if (options_.metrics)  // counted as pending until now
    for (const auto& s : stories_) options_.metrics->story_moved(v1::STORY_STATE_PENDING, s.state);
  size_t ended = 0;
  for (size_t i = 0; i < stories_.size(); ++i) {
    auto& s = stories_[i];
    if (is_terminal(s.state)) {
      ++ended;
      ++terminal_;
      auto& wave = waves_[static_cast<size_t>(s.wave)];
      ++wave.terminal;
      if (s.state == v1::STORY_STATE_DEAD) wave.any_dead = true;
      if (s.state == v1::STORY_STATE_SUCCEEDED)
        for (uint32_t k = 0; k < s.dependents; ++k)
          --stories_[dependents_[s.first_dependent + k]].unmet;
    } else if (s.state == v1::STORY_STATE_SCHEDULED || s.state == v1::STORY_STATE_RUNNING) {
      // Its agent may run on: the Run asks the nodes before placing it again.
      ++in_flight_;
      ++waves_[static_cast<size_t>(s.wave)].active;
      adoptable_.push_back(i);
    } else if (s.state != v1::STORY_STATE_PENDING) {
      set_error(i, "backoff of attempt " + std::to_string(s.attempt) +
                       " lost with a restarted coordinator");
      set_state(i, v1::STORY_STATE_PENDING, now, error_of(i));
    }
  }
  advance(now);
  return ended;
}

size_t RunState::adopt(const std::vector<std::string>& still_open, Clock::time_point now) {
  std::unordered_set<std::string> open(still_open.begin(), still_open.end());
  std::vector<v1::StoryResult> lost;
  for (const auto& s : stories_) {
    bool placed = s.state == v1::STORY_STATE_SCHEDULED || s.state == v1::STORY_STATE_RUNNING;
    if (!placed || open.count(s.spec->id())) continue;
    v1::StoryResult r;
    r.set_story_id(s.spec->id());
    r.set_attempt(s.attempt);
    r.set_outcome(v1::OUTCOME_NODE_LOST);
    r.set_error("result lost with a crashed run actor");
    lost.push_back(std::move(r));
  }
  for (const auto& r : lost) on_result(r, now, 0.5);
  return lost.size();
}

void RunState::abandon(const std::string& reason, Clock::time_point now) {
  for (size_t i = 0; i < stories_.size(); ++i)
    if (!is_terminal(stories_[i].state)) finish_story(i, v1::STORY_STATE_CANCELLED, reason, now);
  in_flight_ = 0;
  error_ = reason;
  state_ = v1::RUN_STATE_FAILED;
  finished_at_ = to_timestamp(now);
}

bool RunState::cancel(const std::string& reason, Clock::time_point now) {
  if (finished()) return in_flight_ == 0;
  cancelling_ = true;
  if (error_.empty()) error_ = reason;
  for (size_t i = 0; i < stories_.size(); ++i) {
    auto st = stories_[i].state;
    if (!is_terminal(st) && st != v1::STORY_STATE_SCHEDULED && st != v1::STORY_STATE_RUNNING)
      finish_story(i, v1::STORY_STATE_CANCELLED, reason, now);
  }
  advance(now);
  return in_flight_ == 0;
}

void RunState::finish_story(size_t first, v1::StoryState state, const std::string& error,
                            Clock::time_point now) {
  // Iterative: a failure can doom a long chain of dependents.
  std::vector<std::tuple<size_t, v1::StoryState, std::string>> todo{{first, state, error}};
  while (!todo.empty()) {
    auto [i, st, why] = std::move(todo.back());
    todo.pop_back();
    auto& s = stories_[i];
    if (is_terminal(s.state)) continue;
    s.waiting_retry = false;
    if (!why.empty()) set_error(i, why);
    // A success is its own reason: the error of an attempt before it is not.
    set_state(i, st, now, st == v1::STORY_STATE_SUCCEEDED ? why : error_of(i));
    s.finished_at = now;
    if (options_.record_transitions) ended_.push_back(static_cast<uint32_t>(i));
    auto& wave = waves_[static_cast<size_t>(s.wave)];
    ++wave.terminal;
    ++terminal_;
    if (st == v1::STORY_STATE_DEAD) wave.any_dead = true;
    for (uint32_t k = 0; k < s.dependents; ++k) {
      size_t j = dependents_[s.first_dependent + k];
      if (st == v1::STORY_STATE_SUCCEEDED) {
        auto& d = stories_[j];
        if (--d.unmet == 0 && d.wave == current_wave_ && d.state == v1::STORY_STATE_PENDING)
          waves_[static_cast<size_t>(d.wave)].ready.push_back(j);
      } else {
        bool cancelled = st == v1::STORY_STATE_CANCELLED;
        todo.emplace_back(j, cancelled ? v1::STORY_STATE_CANCELLED : v1::STORY_STATE_DEAD,
                          "dependency '" + s.spec->id() + "' " +
                              (cancelled ? "was cancelled" : "did not succeed"));
      }
    }
  }
}

void RunState::set_state(size_t i, v1::StoryState to, Clock::time_point now,
                         const std::string& reason, bool record) {
  auto& s = stories_[i];
  if (options_.metrics && s.state != to) options_.metrics->story_moved(s.state, to);
  if (options_.record_transitions && s.state != to && record) {
    s.recorded_state = to;
    s.recorded_attempt = s.attempt;
    // No run id: the store's step record is keyed by it (persistence/store.h).
    v1::StoryTransition t;
    t.set_story_id(s.spec->id());
    t.set_attempt(s.attempt);
    t.set_from(s.state);
    t.set_to(to);
    t.set_node_id(node_of(i));
    *t.mutable_at() = to_timestamp(now);
    t.set_reason(reason);
    t.set_seq(++seq_);
    transitions_.push_back(std::move(t));
  }
  s.state = to;
}

std::vector<uint32_t> RunState::take_ended() { return std::exchange(ended_, {}); }

std::vector<v1::StoryTransition> RunState::take_transitions() {
  return std::exchange(transitions_, {});
}

v1::StoryStatus RunState::story_status(size_t i) const {
  const auto& s = stories_[i];
  v1::StoryStatus out;
  out.set_id(s.spec->id());
  out.set_state(s.state);
  out.set_attempts(s.attempt);
  out.set_node_id(node_of(i));
  out.set_last_error(error_of(i));
  *out.mutable_started_at() = to_timestamp(s.started_at);  // zero until it started
  if (is_terminal(s.state)) *out.mutable_finished_at() = to_timestamp(s.finished_at);
  return out;
}

size_t RunState::find_story(const std::string& story_id) {
  // Results come back much in the order their stories were placed, which is
  // the plan's: the story after the last one found is tried first, and the
  // hash lookup (a cache miss in a table of a million) is mostly saved.
  size_t i = next_guess_;
  if (i >= stories_.size() || stories_[i].spec->id() != story_id) i = index_of(story_id);
  next_guess_ = i + 1;
  return i;
}

size_t RunState::index_of(const std::string& story_id) const {
  auto it = index_.find(story_id);
  return it == index_.end() ? stories_.size() : it->second;
}

void RunState::start_wave(int w, Clock::time_point now) {
  current_wave_ = w;
  auto& wave = waves_[static_cast<size_t>(w)];
  if (w == 0) started_at_ = to_timestamp(now);
  for (size_t i = wave.first; i < wave.end; ++i)
    if (stories_[i].state == v1::STORY_STATE_PENDING && stories_[i].unmet == 0)
      wave.ready.push_back(i);
}

void RunState::advance(Clock::time_point now) {
  while (state_ == v1::RUN_STATE_RUNNING) {
    if (cancelling_) {
      if (terminal_ < stories_.size()) return;
      state_ = v1::RUN_STATE_CANCELLED;
      break;
    }
    if (current_wave_ < 0) {
      if (waves_.empty()) {
        state_ = v1::RUN_STATE_SUCCEEDED;
        break;
      }
      start_wave(0, now);
      continue;
    }
    auto& wave = waves_[static_cast<size_t>(current_wave_)];
    if (wave.terminal < wave.end - wave.first) return;
    const auto& spec = plan_->waves(current_wave_);
    if (wave.any_dead && !spec.continue_on_error()) {
      size_t dead = 0;
      for (size_t i = wave.first; i < wave.end; ++i)
        dead += stories_[i].state == v1::STORY_STATE_DEAD;
      error_ = "wave '" + spec.name() + "': " + std::to_string(dead) +
               (dead == 1 ? " story" : " stories") + " dead";
      for (size_t i = wave.end; i < stories_.size(); ++i)
        finish_story(i, v1::STORY_STATE_CANCELLED, "run failed in wave '" + spec.name() + "'", now);
      state_ = v1::RUN_STATE_FAILED;
      break;
    }
    if (static_cast<size_t>(current_wave_) + 1 == waves_.size()) {
      state_ = v1::RUN_STATE_SUCCEEDED;
      break;
    }
    start_wave(current_wave_ + 1, now);
  }
  finished_at_ = to_timestamp(now);
}

void RunState::count(v1::StoryCounts& c, v1::StoryState s) const {
  c.set_total(c.total() + 1);
  switch (s) {
    case v1::STORY_STATE_PENDING:
      c.set_pending(c.pending() + 1);
      break;
    case v1::STORY_STATE_SCHEDULED:
      c.set_scheduled(c.scheduled() + 1);
      break;
    case v1::STORY_STATE_RUNNING:
      c.set_running(c.running() + 1);
      break;
    case v1::STORY_STATE_SUCCEEDED:
      c.set_succeeded(c.succeeded() + 1);
      break;
    case v1::STORY_STATE_FAILED:
      c.set_failed(c.failed() + 1);
      break;
    case v1::STORY_STATE_DEAD:
      c.set_dead(c.dead() + 1);
      break;
    case v1::STORY_STATE_CANCELLED:
      c.set_cancelled(c.cancelled() + 1);
      break;
    default:
      break;
  }
}

v1::RunStatus RunState::status(bool with_stories) const {
  v1::RunStatus out;
  out.set_run_id(run_id_);
  out.set_plan_name(plan_->name());
  out.set_state(state_);
  out.set_error(error_);
  *out.mutable_started_at() = started_at_;
  if (finished()) *out.mutable_finished_at() = finished_at_;
  out.mutable_trace()->set_traceparent(options_.traceparent);
  out.set_idempotency_key(options_.idempotency.key());
  for (size_t w = 0; w < waves_.size(); ++w) {
    const auto& wave = waves_[w];
    auto* ws = out.add_waves();
    ws->set_name(plan_->waves(static_cast<int>(w)).name());
    bool done = wave.terminal == wave.end - wave.first;
    if (static_cast<int>(w) > current_wave_ && !done)
      ws->set_state(v1::RUN_STATE_PENDING);
    else if (!done)
      ws->set_state(v1::RUN_STATE_RUNNING);
    else if (wave.any_dead && !plan_->waves(static_cast<int>(w)).continue_on_error())
      ws->set_state(v1::RUN_STATE_FAILED);
    else if (wave.terminal > 0 && cancelling_ && static_cast<int>(w) >= current_wave_)
      ws->set_state(v1::RUN_STATE_CANCELLED);
    else
      ws->set_state(v1::RUN_STATE_SUCCEEDED);
    for (size_t i = wave.first; i < wave.end; ++i) {
      const auto& s = stories_[i];
      count(*ws->mutable_counts(), s.state);
      count(*out.mutable_counts(), s.state);
      if (!with_stories) continue;
      *ws->add_stories() = story_status(i);
    }
  }
  return out;
}

}  // namespace rad
