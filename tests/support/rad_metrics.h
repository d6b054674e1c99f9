// The metrics a rad node exports (issue [5]), by name: what the dashboard may
// query (tests/unit/deploy_test.cc) and what the nodes must serve
// (tests/integration/prometheus_scrape_test.cc). One list, so that the two
// cannot drift apart.
#pragma once

#include <set>
#include <string>

namespace rad::test {

// Histograms, which Prometheus also stores as NAME_bucket, NAME_sum, NAME_count.
inline const std::set<std::string> kRadHistograms = {
    "agent_task_duration_seconds", "rad_checkpoint_write_seconds", "rad_checkpoint_batch_records"};

inline const std::set<std::string> kRadMetrics = {
    "agent_tasks_total",
    "agent_task_duration_seconds",
    "active_agents",
    "resource_utilization_percent",
    "rad_stories",
    "rad_runs_active",
    "rad_runs_total",
    "rad_cluster_members",
    "rad_heartbeat_age_seconds",
    "rad_chaos_link_dropped_total",
    "rad_chaos_link_delayed_total",
    "rad_chaos_link_duplicated_total",
    "rad_chaos_agents_killed_total",
    "rad_chaos_checkpoint_write_failures_total",
    "rad_link_messages_sent_total",
    "rad_link_messages_received_total",
    "rad_link_bytes_sent_total",
    "rad_link_bytes_received_total",
    "rad_checkpoint_write_seconds",
    "rad_checkpoint_batch_records",
    "rad_checkpoint_store_bytes",
    "rad_checkpoint_pending_compaction_bytes",
    "rad_monitor_cpu_percent",
    "rad_monitor_memory_used_bytes",
    "rad_monitor_memory_total_bytes",
    "rad_monitor_load",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_threads",
    "process_cpu_seconds_total",
    "process_start_time_seconds",
    "rad_build_info",
    "rad_trace_spans_exported_total",
    "rad_trace_spans_dropped_total",
    "rad_trace_export_failures_total",
};

// Labels these metrics carry: a scrape target label of the same name would
// make Prometheus rename them to exported_NAME.
inline const std::set<std::string> kRadMetricLabels = {"status", "kind", "state",   "resource_type",
                                                       "peer",   "role", "version", "window"};

}  // namespace rad::test
