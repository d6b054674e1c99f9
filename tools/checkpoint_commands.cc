#include "tools/checkpoint_commands.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <iostream>

#include "client/api_client.h"
#include "persistence/store.h"
#include "rad/v1/run.pb.h"
#include "runtime/cli.h"
#include "runtime/error.h"

namespace rad {
namespace {

int fail(const caf::error& err) { return report_failure("radctl", err); }

caf::expected<std::unique_ptr<Store>> open_store(const std::string& data_dir) {
  return Store::open_read_only(data_dir + "/checkpoint");
}

}  // namespace

int checkpoint_export_command(const std::string& data_dir, const std::string& run_id) {
  auto store = open_store(data_dir);
  if (!store) return fail(store.error());
  v1::RunExport out;
  auto run = (*store)->run(run_id);
  if (!run)
    return fail(make_error(Errc::not_found,
                           "no run '" + run_id + "' in the checkpoint store of " + data_dir));
  *out.mutable_run() = std::move(*run);
  if (auto plan = (*store)->plan(run_id)) *out.mutable_plan() = std::move(*plan);
  if (auto err = (*store)->for_each_story(run_id, [&](const v1::StoryStatus& s) {
        *out.add_stories() = s;
        return true;
      }))
    return fail(err);
  if (auto err = (*store)->for_each_event(run_id, [&](const v1::StoryTransition& t) {
        *out.add_events() = t;
        return true;
      }))
    return fail(err);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(out, &json, options);
  std::cout << json << "\n";
  return 0;
}

int compact_command(const std::string& api, bool dry_run) {
  auto answer =
      api_request("POST", api, std::string{"/v1/compact"} + (dry_run ? "?dryRun=true" : ""));
  if (!answer) return fail(answer.error());
  v1::CompactionReport report;
  if (auto err = parse_answer(*answer, "the API", report)) return fail(err);
  auto mb = [](uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); };
  std::printf("%s: %.1f MiB before, %.1f MiB after%s; %u finished runs pruned, %llu records %s\n",
              dry_run ? "compaction (dry run)" : "compaction", mb(report.bytes_before()),
              mb(report.bytes_after()), dry_run ? " (estimated)" : "", report.runs_pruned(),
              static_cast<unsigned long long>(report.records_deleted()),
              dry_run ? "would be deleted" : "deleted");
  return 0;
}

int backup_command(const std::string& api) {
  auto answer = api_request("POST", api, "/v1/backup");
  if (!answer) return fail(answer.error());
  v1::BackupReport report;
  if (auto err = parse_answer(*answer, "the API", report)) return fail(err);
  std::printf("%s\n", report.path().c_str());
  std::fprintf(stderr,
               "backup of the checkpoint store: %.1f MiB in %s on the coordinator's host; to "
               "restore, stop the coordinator and put it in place of DATA_DIR/checkpoint\n",
               static_cast<double>(report.bytes()) / (1 << 20), report.path().c_str());
  return 0;
}

int checkpoint_verify_command(const std::string& data_dir) {
  auto store = open_store(data_dir);
  if (!store) return fail(store.error());
  auto report = (*store)->verify();
  if (!report) return fail(report.error());
  for (const auto& [family, count] : report->records)
    std::cout << family << ": " << count << " records\n";
  for (const auto& d : report->damaged) std::cout << "damaged: " << d << "\n";
  std::cout << (report->damaged.empty() ? "checkpoint store is sound\n"
                                        : "checkpoint store is damaged; restore a backup\n");
  return report->damaged.empty() ? 0 : 1;
}

}  // namespace rad
