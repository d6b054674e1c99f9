// radctl's checkpoint commands: they read a node's store directly (read-only,
// also while the node runs), from its data dir.
#pragma once

#include <string>

namespace rad {

// Prints a run as the store holds it (rad.v1.RunExport as JSON); exit 2 when
// there is no such run.
int checkpoint_export_command(const std::string& data_dir, const std::string& run_id);

// Reads every record and checksum; prints what is damaged; exit 1 if anything is.
int checkpoint_verify_command(const std::string& data_dir);

// Asks the coordinator at `api` to compact its store by its retention, and
// prints the bytes before and after; with `dry_run`, what it would do.
int compact_command(const std::string& api, bool dry_run);

// Asks the coordinator at `api` for a consistent copy of its store, taken
// while it runs, and prints where it is and how to restore it.
int backup_command(const std::string& api);

}  // namespace rad
