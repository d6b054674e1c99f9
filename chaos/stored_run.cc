#include "chaos/stored_run.h"

#include "persistence/store.h"

namespace rad {

caf::expected<StoredRun> read_stored_run(const std::string& store_path, const std::string& run_id) {
  auto store = Store::open_read_only(store_path);
  if (!store) return store.error();
  StoredRun out;
  if (auto run = (*store)->run(run_id)) out.summary = std::move(*run);
  if (auto plan = (*store)->plan(run_id)) out.plan = std::move(*plan);
  if (auto err = (*store)->for_each_story(run_id, [&](const v1::StoryStatus& s) {
        out.stories[s.id()] = s;
        return true;
      }))
    return err;
  if (auto err = (*store)->for_each_event(run_id, [&](const v1::StoryTransition& t) {
        out.events.push_back(t);
        return true;
      }))
    return err;
  return out;
}

}  // namespace rad
