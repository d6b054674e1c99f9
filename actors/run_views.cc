#include "actors/run_views.h"

#include <algorithm>
#include <vector>

namespace rad {

namespace {
// How long one ask for stories keeps a large run building them.
constexpr auto kWantedFor = std::chrono::minutes{1};
}  // namespace

v1::RunStatus without_stories(v1::RunStatus status) {
  for (auto& w : *status.mutable_waves()) w.clear_stories();
  return status;
}

void RunViews::add(const std::string& run_id, uint64_t seq, std::string plan_name,
                   bool from_store) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto& e = runs_[run_id];
  e.seq = seq;
  e.plan_name = std::move(plan_name);
  e.from_store = from_store;
}

void RunViews::publish(const std::string& run_id, Snapshot summary, Snapshot stories) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = runs_.find(run_id);
  if (it == runs_.end() || it->second.final) return;
  it->second.summary = std::move(summary);
  if (stories) it->second.stories = std::move(stories);
}

void RunViews::publish_final(const std::string& run_id, v1::RunStatus status,
                             bool stories_in_store) {
  auto stories = std::make_shared<const v1::RunStatus>(std::move(status));
  auto summary = std::make_shared<const v1::RunStatus>(without_stories(*stories));
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return;
  it->second.summary = std::move(summary);
  // A run that ended before this process has its stories in the store only.
  it->second.from_store = it->second.from_store || stories_in_store;
  it->second.stories = it->second.from_store ? nullptr : std::move(stories);
  it->second.final = true;
}

void RunViews::forget(const std::string& run_id) {
  std::lock_guard<std::mutex> lock{mutex_};
  runs_.erase(run_id);
}

std::optional<RunViews::View> RunViews::find(const std::string& run_id) const {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return std::nullopt;
  return static_cast<const View&>(it->second);
}

v1::RunList RunViews::list() const {
  std::vector<std::pair<std::string, View>> views;
  {
    // Only pointers are copied under the lock; the messages after it.
    std::lock_guard<std::mutex> lock{mutex_};
    views.reserve(runs_.size());
    for (const auto& [id, e] : runs_) views.emplace_back(id, static_cast<const View&>(e));
  }
  std::sort(views.begin(), views.end(),
            [](const auto& a, const auto& b) { return a.second.seq > b.second.seq; });
  v1::RunList out;
  for (const auto& [id, v] : views) {
    auto* s = out.add_runs();
    if (v.summary) {
      *s = *v.summary;
      continue;
    }
    s->set_run_id(id);
    s->set_plan_name(v.plan_name);
    s->set_state(v1::RUN_STATE_RUNNING);
  }
  return out;
}

void RunViews::want_stories(const std::string& run_id) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = runs_.find(run_id);
  if (it != runs_.end()) it->second.wanted = Clock::now();
}

bool RunViews::stories_wanted(const std::string& run_id) const {
  std::lock_guard<std::mutex> lock{mutex_};
  auto it = runs_.find(run_id);
  return it != runs_.end() && it->second.wanted != Clock::time_point{} &&
         Clock::now() - it->second.wanted < kWantedFor;
}

}  // namespace rad
