#include "actors/monitor/admission.h"

#include <cstdio>

#include "runtime/clock.h"

namespace rad {
namespace {

// "93.1%" for a measured value, "87.5%" or "90%" for a threshold.
std::string percent(double value, const char* format) {
  char text[32];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

void refuse(Admission* a, const std::string& why) {
  a->admits = false;
  if (!a->refusal.empty()) a->refusal += "; ";
  a->refusal += why;
}

void check_percent(Admission* a, const char* resource, double value, double threshold) {
  if (threshold > 0 && value >= threshold)
    refuse(a, std::string(resource) + " " + percent(value, "%.1f%%") +
                  " >= " + percent(threshold, "%g%%"));
}

void check_count(Admission* a, const char* resource, uint32_t value, uint32_t threshold) {
  if (threshold > 0 && value >= threshold)
    refuse(a, std::string(resource) + " " + std::to_string(value) +
                  " >= " + std::to_string(threshold));
}

}  // namespace

Admission admit(const ResourceSample& sample, uint32_t running_agents,
                const AdmissionThresholds& thresholds) {
  Admission a;
  check_count(&a, "agents", running_agents, thresholds.max_agents);
  if (sample.memory_total_bytes > 0) {
    double used = 100.0 * static_cast<double>(sample.memory_used_bytes) /
                  static_cast<double>(sample.memory_total_bytes);
    check_percent(&a, "memory", used, thresholds.max_memory_percent);
  }
  check_percent(&a, "cpu", sample.cpu_percent, thresholds.max_cpu_percent);
  check_count(&a, "processes", sample.processes, thresholds.max_processes);
  check_count(&a, "threads", sample.threads, thresholds.max_threads);
  return a;
}

v1::NodeStats to_node_stats(const ResourceSample& sample, uint32_t running_agents,
                            const Admission& admission) {
  v1::NodeStats stats;
  *stats.mutable_sampled_at() = now_timestamp();
  stats.set_cpu_percent(sample.cpu_percent);
  stats.set_memory_used_bytes(sample.memory_used_bytes);
  stats.set_memory_total_bytes(sample.memory_total_bytes);
  stats.set_load1(sample.load1);
  stats.set_load5(sample.load5);
  stats.set_load15(sample.load15);
  stats.set_processes(sample.processes);
  stats.set_threads(sample.threads);
  stats.set_running_agents(running_agents);
  stats.set_admits(admission.admits);
  stats.set_refusal(admission.refusal);
  return stats;
}

}  // namespace rad
