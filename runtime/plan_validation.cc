#include "runtime/plan_validation.h"

#include <cctype>
#include <cstdint>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/error.h"

namespace rad {
namespace {

constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxNameBytes = 256;
constexpr uint64_t kMaxTimeoutMs = 7ull * 24 * 3600 * 1000;
constexpr uint64_t kMaxMockOutputBytes = 1u << 20;

std::string wave_path(int w) { return "waves[" + std::to_string(w) + "]"; }
std::string story_path(int w, int s) {
  return wave_path(w) + ".stories[" + std::to_string(s) + "]";
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

class Checker {
 public:
  Checker(const v1::Plan& plan, const PlanLimits& limits) : plan_(plan), limits_(limits) {}

  std::vector<PlanProblem> run() {
    check_plan();
    if (plan_.waves_size() > 0 && static_cast<size_t>(plan_.waves_size()) <= limits_.max_waves &&
        stories_ <= limits_.max_stories) {
      where_.reserve(stories_);
      for (int w = 0; w < plan_.waves_size(); ++w) index_wave(w);
      for (int w = 0; w < plan_.waves_size(); ++w) check_wave(w);
      for (int w = 0; w < plan_.waves_size(); ++w) check_cycles(w);
    }
    if (dropped_ > 0)
      problems_.push_back({"", "and " + std::to_string(dropped_) + " more problems"});
    return std::move(problems_);
  }

 private:
  struct Where {
    int wave, story;
  };

  void add(std::string path, std::string reason) {
    if (problems_.size() < limits_.max_problems)
      problems_.push_back({std::move(path), std::move(reason)});
    else
      ++dropped_;
  }

  void check_plan() {
    if (plan_.name().empty()) add("name", "a plan needs a name");
    if (plan_.name().size() > kMaxNameBytes)
      add("name", "longer than " + std::to_string(kMaxNameBytes) + " bytes");
    if (plan_.waves_size() == 0) add("waves", "a plan needs at least one wave");
    if (static_cast<size_t>(plan_.waves_size()) > limits_.max_waves)
      add("waves", std::to_string(plan_.waves_size()) + " waves, more than the limit of " +
                       std::to_string(limits_.max_waves));
    for (const auto& wave : plan_.waves()) stories_ += static_cast<size_t>(wave.stories_size());
    if (stories_ > limits_.max_stories)
      add("waves", std::to_string(stories_) + " stories, more than the limit of " +
                       std::to_string(limits_.max_stories) + "; split the plan");
  }

  void index_wave(int w) {
    const auto& wave = plan_.waves(w);
    for (int s = 0; s < wave.stories_size(); ++s) {
      const auto& id = wave.stories(s).id();
      auto [it, fresh] = where_.try_emplace(id, Where{w, s});
      if (!fresh && valid_id(id))
        add(story_path(w, s) + ".id", "duplicate id '" + id + "' (first at " +
                                          story_path(it->second.wave, it->second.story) + ")");
    }
  }

  void check_wave(int w) {
    const auto& wave = plan_.waves(w);
    auto path = wave_path(w);
    if (wave.name().empty()) add(path + ".name", "a wave needs a name");
    if (!wave.name().empty() && !wave_names_.insert(wave.name()).second)
      add(path + ".name", "duplicate wave name '" + wave.name() + "'");
    if (wave.stories_size() == 0)
      add(path + ".stories", "an empty wave: give it a story or remove it");
    for (int s = 0; s < wave.stories_size(); ++s) check_story(w, s);
  }

  void check_story(int w, int s) {
    const auto& story = plan_.waves(w).stories(s);
    auto path = story_path(w, s);
    if (!valid_id(story.id()))
      add(path + ".id", story.id().empty()
                            ? "a story needs an id"
                            : "id '" + story.id().substr(0, kMaxIdBytes) +
                                  "' must be 1-128 bytes of letters, digits, '.', '_' or '-'");
    auto bytes = story.ByteSizeLong();
    if (bytes > limits_.max_story_bytes)
      add(path, "story spec of " + std::to_string(bytes) + " bytes, more than the limit of " +
                    std::to_string(limits_.max_story_bytes));
    check_dependencies(w, s);
    if (story.max_attempts() > limits_.max_attempts)
      add(path + ".maxAttempts", std::to_string(story.max_attempts()) + " is more than " +
                                     std::to_string(limits_.max_attempts));
    if (story.timeout_ms() > kMaxTimeoutMs) add(path + ".timeoutMs", "longer than 7 days");
    check_backoff(story.backoff(), path + ".backoff");
    for (int i = 0; i < story.preconditions_size(); ++i)
      check_command(story.preconditions(i).argv_size(),
                    path + ".preconditions[" + std::to_string(i) + "]");
    for (int i = 0; i < story.postconditions_size(); ++i)
      check_command(story.postconditions(i).argv_size(),
                    path + ".postconditions[" + std::to_string(i) + "]");
    check_driver(story, path);
  }

  void check_dependencies(int w, int s) {
    const auto& story = plan_.waves(w).stories(s);
    auto path = story_path(w, s) + ".dependsOn";
    if (static_cast<size_t>(story.depends_on_size()) > limits_.max_dependencies) {
      add(path, std::to_string(story.depends_on_size()) + " dependencies, more than the limit of " +
                    std::to_string(limits_.max_dependencies));
      return;
    }
    std::set<std::string> seen;
    for (int d = 0; d < story.depends_on_size(); ++d) {
      const auto& dep = story.depends_on(d);
      auto dep_path = path + "[" + std::to_string(d) + "]";
      auto it = where_.find(dep);
      if (!seen.insert(dep).second)
        add(dep_path, "'" + dep + "' is listed twice");
      else if (it == where_.end())
        add(dep_path, "unknown story '" + dep + "'");
      else if (it->second.wave > w)
        add(dep_path, "'" + dep + "' is in a later wave (" + wave_path(it->second.wave) +
                          "); a story may depend on its own or earlier waves");
    }
  }

  void check_backoff(const v1::Backoff& b, const std::string& path) {
    if (b.multiplier() != 0 && b.multiplier() < 1) add(path + ".multiplier", "must be at least 1");
    if (b.jitter() < 0 || b.jitter() > 1) add(path + ".jitter", "must be within [0, 1]");
    if (b.initial_ms() > 0 && b.max_ms() > 0 && b.initial_ms() > b.max_ms())
      add(path + ".initialMs", "larger than maxMs");
  }

  void check_command(int argc, const std::string& path) {
    if (argc == 0) add(path + ".argv", "a command needs argv, e.g. [\"make\", \"test\"]");
  }

  void check_driver(const v1::Story& story, const std::string& path) {
    switch (story.driver_case()) {
      case v1::Story::kMock: {
        const auto& m = story.mock();
        if (m.failure_rate() < 0 || m.failure_rate() > 1)
          add(path + ".mock.failureRate", "must be within [0, 1]");
        if (m.output_bytes() > kMaxMockOutputBytes)
          add(path + ".mock.outputBytes", "more than 1 MiB");
        break;
      }
      case v1::Story::kExec:
        check_command(story.exec().argv_size(), path + ".exec");
        if (story.exec().argv_size() > 0 && story.exec().argv(0).empty())
          add(path + ".exec.argv[0]", "the program name is empty");
        break;
      case v1::Story::kLlm:
        if (story.llm().prompt().empty()) add(path + ".llm.prompt", "an llm story needs a prompt");
        break;
      default:
        add(path, "no driver: set one of mock, exec or llm");
    }
  }

  // Cycles can only form among stories of one wave: dependencies point to the
  // same or earlier waves. A walk by index, in plan order: a million stories
  // cost two vectors, not two maps keyed by their ids.
  void check_cycles(int w) {
    const auto& wave = plan_.waves(w);
    // The index of story s's d-th dependency when it is in this wave; -1 otherwise.
    auto same_wave = [&](int s, int d) {
      auto it = where_.find(wave.stories(s).depends_on(d));
      return it != where_.end() && it->second.wave == w ? it->second.story : -1;
    };
    // 0 new, 1 on the current path, 2 done.
    std::vector<uint8_t> state(static_cast<size_t>(wave.stories_size()), 0);
    std::vector<std::pair<int, int>> stack;  // (story, next dependency)
    for (int start = 0; start < wave.stories_size(); ++start) {
      if (state[static_cast<size_t>(start)] != 0) continue;
      stack.assign(1, {start, 0});
      state[static_cast<size_t>(start)] = 1;
      while (!stack.empty()) {
        auto [node, next] = stack.back();
        if (next == wave.stories(node).depends_on_size()) {
          state[static_cast<size_t>(node)] = 2;
          stack.pop_back();
          continue;
        }
        ++stack.back().second;
        int dep = same_wave(node, next);
        if (dep < 0) continue;
        if (state[static_cast<size_t>(dep)] == 1) {
          report_cycle(w, stack, dep);
        } else if (state[static_cast<size_t>(dep)] == 0) {
          state[static_cast<size_t>(dep)] = 1;
          stack.emplace_back(dep, 0);
        }
      }
    }
  }

  void report_cycle(int w, const std::vector<std::pair<int, int>>& stack, int back_to) {
    const auto& wave = plan_.waves(w);
    std::string cycle;
    bool on = false;
    for (const auto& frame : stack) {
      if (frame.first == back_to) on = true;
      if (on) cycle += wave.stories(frame.first).id() + " -> ";
    }
    cycle += wave.stories(back_to).id();
    add(story_path(w, back_to) + ".dependsOn", "dependency cycle: " + cycle);
  }

  const v1::Plan& plan_;
  const PlanLimits& limits_;
  std::vector<PlanProblem> problems_;
  size_t dropped_ = 0;
  size_t stories_ = 0;
  // Story id (in plan_) -> its first place.
  std::unordered_map<std::string_view, Where> where_;
  std::set<std::string> wave_names_;
};

}  // namespace

std::vector<PlanProblem> validate_plan(const v1::Plan& plan, const PlanLimits& limits) {
  return Checker{plan, limits}.run();
}

std::string describe(const std::vector<PlanProblem>& problems) {
  std::string out;
  for (const auto& p : problems) out += (p.path.empty() ? "plan" : p.path) + ": " + p.reason + "\n";
  return out;
}

caf::error plan_error(const v1::Plan& plan, const std::vector<PlanProblem>& problems) {
  if (problems.empty()) return {};
  std::string text = "plan '" + plan.name() + "' has " + std::to_string(problems.size()) +
                     (problems.size() == 1 ? " problem: " : " problems: ");
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i > 0) text += "; ";
    text += (problems[i].path.empty() ? "plan" : problems[i].path) + ": " + problems[i].reason;
  }
  return make_error(Errc::invalid_input, text);
}

}  // namespace rad
