#include "load/exactly_once.h"

#include <cstdio>
#include <unordered_map>

#include "actors/run_state.h"
#include "persistence/store.h"
#include "runtime/error.h"

namespace rad::bench {
namespace {

// Prints at most a few problems: a broken run of 1,000,000 stories would print them all.
struct Problems {
  long count = 0;
  template <class... Ts>
  void add(const char* format, Ts... args) {
    if (++count <= 5) {
      std::fprintf(stderr, format, args...);
      std::fputc('\n', stderr);
    }
  }
};

}  // namespace

bool stored_exactly_once(const std::string& data_dir, const std::string& run_id, int stories) {
  auto store = Store::open_read_only(data_dir + "/checkpoint");
  if (!store) {
    std::fprintf(stderr, "checkpoint store: %s\n", error_message(store.error()).c_str());
    return false;
  }
  struct Ends {
    v1::StoryState last = v1::STORY_STATE_PENDING;
    int terminal = 0;
  };
  std::unordered_map<std::string, Ends> ends;
  ends.reserve(static_cast<size_t>(stories));
  Problems problems;
  uint64_t events = 0;
  auto err = (*store)->for_each_event(run_id, [&](const v1::StoryTransition& t) {
    ++events;
    auto& e = ends[t.story_id()];
    if (is_terminal(e.last))
      problems.add("story %s moved on after it ended: %s", t.story_id().c_str(),
                   t.ShortDebugString().c_str());
    e.last = t.to();
    if (is_terminal(t.to())) ++e.terminal;
    return true;
  });
  if (err) {
    std::fprintf(stderr, "checkpoint events: %s\n", error_message(err).c_str());
    return false;
  }
  if (ends.size() != static_cast<size_t>(stories))
    problems.add("the store has events of %zu stories, not %d", ends.size(), stories);
  for (const auto& [id, e] : ends)
    if (e.terminal != 1 || e.last != v1::STORY_STATE_SUCCEEDED)
      problems.add("story %s ended %d times in the store, last %s", id.c_str(), e.terminal,
                   v1::StoryState_Name(e.last).c_str());
  long stored = 0;
  err = (*store)->for_each_story(run_id, [&](const v1::StoryStatus& s) {
    ++stored;
    if (s.state() != v1::STORY_STATE_SUCCEEDED)
      problems.add("story %s is stored as %s", s.id().c_str(),
                   v1::StoryState_Name(s.state()).c_str());
    return true;
  });
  if (err) {
    std::fprintf(stderr, "checkpoint stories: %s\n", error_message(err).c_str());
    return false;
  }
  if (stored != stories) problems.add("%ld stories stored, not %d", stored, stories);
  auto summary = (*store)->run(run_id);
  if (!summary)
    problems.add("no summary of the run: %s", error_message(summary.error()).c_str());
  else if (summary->state() != v1::RUN_STATE_SUCCEEDED ||
           summary->counts().succeeded() != static_cast<uint32_t>(stories) ||
           summary->counts().total() != static_cast<uint32_t>(stories))
    problems.add("the stored summary is not %d stories succeeded: %s", stories,
                 summary->counts().ShortDebugString().c_str());
  if (problems.count > 0) {
    std::fprintf(stderr, "run %s: %ld problems in the checkpoint store\n", run_id.c_str(),
                 problems.count);
    return false;
  }
  std::fprintf(stderr,
               "checkpoint store: %d stories, each SUCCEEDED exactly once (%llu events read)\n",
               stories, static_cast<unsigned long long>(events));
  return true;
}

}  // namespace rad::bench
